/**
 * "Validate mapping" for a job (T8, T9): the mapping against the CRM's describe, then the inbound filter,
 * checked by the connector (locally, then by the CRM itself, so the CRM's own reason is reported).
 */
import type { CrmSession } from '../crm/connector';
import { connectorFor } from '../crm/index';
import type { JobRecord } from '../hub/jobs';
import { validateMapping, type ValidationReport } from '../mapping/validate';

export interface JobValidation extends ValidationReport {
  jobId: string;
  version: number;
}

export async function validateJob(job: JobRecord, session: CrmSession): Promise<JobValidation> {
  const kinds = connectorFor(session.kind).jobKinds;
  if (!kinds.includes(job.kind)) {
    const issue = { severity: 'error' as const, code: 'JOB_KIND_NOT_SUPPORTED', message: `${session.kind} connections do not run ${job.kind} jobs; they run ${kinds.join(', ')}`, fix: `create the job on a connection that runs ${job.kind} jobs (Salesforce runs all six kinds)` };
    return { jobId: job.id, version: job.version, ok: false, issues: [issue], rows: [] };
  }
  const report = await validateMapping(job.config, session.describe);
  const filter = job.config.filter;
  if (filter) {
    const object = await session.describe(job.config.crmObject);
    if (object) report.issues.push(...(await session.checkFilter(object, filter)));
  }
  report.ok = !report.issues.some((i) => i.severity === 'error');
  return { jobId: job.id, version: job.version, ...report };
}

/** The errors of a failed validation, one line each with its fix. */
export function validationErrors(validation: JobValidation): string[] {
  return validation.issues.filter((i) => i.severity === 'error').map((i) => `${i.message} (fix: ${i.fix})`);
}
