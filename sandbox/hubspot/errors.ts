/**
 * HubSpot's error body, in one place: `{status: "error", message, correlationId, category, subCategory?,
 * errors?, context?, links?}` (developers.hubspot.com/docs/faq/api-error-responses; crm-api-contracts.md §2.4).
 * The client keeps this JSON as `ApiException.body` (its "Error" type is not in the type map).
 */
import { randomUUID } from 'node:crypto';

export interface ErrorDetail {
  message: string;
  code?: string;
  in?: string;
  context?: Record<string, string[]>;
}

export class HubSpotError extends Error {
  constructor(
    readonly status: number,
    readonly category: string,
    message: string,
    readonly extra: { subCategory?: string; errors?: ErrorDetail[]; context?: Record<string, string[]>; links?: Record<string, string> } = {},
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return { status: 'error', message: this.message, correlationId: randomUUID(), category: this.category, ...this.extra };
  }
}

/** One property's rejection inside "Property values were not valid: [...]" (HubSpot's validation message). */
export interface PropertyIssue {
  isValid: false;
  message: string;
  error: string;
  name: string;
  localizedErrorMessage: string;
}

export function propertyIssue(name: string, error: string, message: string): PropertyIssue {
  return { isValid: false, message, error, name, localizedErrorMessage: message };
}

/**
 * HubSpot reports invalid property values as 400 VALIDATION_ERROR whose message embeds the JSON list of
 * issues (`Property values were not valid: [{"isValid":false,"message":…,"error":"PROPERTY_DOESNT_EXIST",…}]`,
 * as seen in real responses quoted in the HubSpot community and client issue trackers).
 */
export function invalidProperties(issues: PropertyIssue[]): HubSpotError {
  return new HubSpotError(400, 'VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify(issues)}`);
}

export function validationError(message: string, context?: Record<string, string[]>): HubSpotError {
  return new HubSpotError(400, 'VALIDATION_ERROR', message, context ? { context } : {});
}

/** 404 for an object ID that does not exist [contract §6: the category is unverified; OBJECT_NOT_FOUND as batch read uses]. */
export function objectNotFound(): HubSpotError {
  return new HubSpotError(404, 'OBJECT_NOT_FOUND', 'resource not found');
}
