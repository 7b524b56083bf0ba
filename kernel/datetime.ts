/**
 * ISO 8601 datetimes as CRMs write them: `2024-05-01T10:00:00.000+0000` (Salesforce, offset without a colon),
 * `2024-05-01T10:00:00Z` (Dataverse, HubSpot), or a date alone (`2024-05-01`, read as midnight UTC).
 */
export function toIsoDateTime(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  const text = String(value);
  const normalized = /[+-]\d{4}$/.test(text) ? `${text.slice(0, -2)}:${text.slice(-2)}` : text;
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(normalized) ? `${normalized}T00:00:00Z` : normalized);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
