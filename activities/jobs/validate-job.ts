/**
 * "Validate mapping" for a stored job (T8, T9): the mapping against the CRM's describe, the inbound filter
 * parsed locally and then run by the CRM itself as a cheap query (LIMIT 1), so its own reason is reported.
 */
import { toCrmError } from '../crm/salesforce/client';
import { validateSoqlFilter } from '../mapping/filter';
import { validateMapping, type ValidationReport } from '../mapping/validate';
import type { JobRecord } from '../hub/jobs';
import type { SalesforceSession } from './salesforce-session';

export interface JobValidation extends ValidationReport {
  jobId: string;
  version: number;
}

export async function validateJob(job: JobRecord, session: SalesforceSession): Promise<JobValidation> {
  const report = await validateMapping(job.config, session.describe);
  const filter = job.config.filter;
  if (filter) {
    const object = await session.describe(job.config.crmObject);
    const local = object ? await validateSoqlFilter(filter, object, session.describe) : [];
    report.issues.push(...local);
    if (object && local.length === 0) {
      try {
        await session.conn.query(`SELECT Id FROM ${object.name} WHERE (${filter}) LIMIT 1`);
      } catch (err) {
        const crmError = toCrmError(err, 'the CRM refused the filter');
        if (crmError.kind !== 'configuration' && crmError.kind !== 'record') throw crmError;
        report.issues.push({ severity: 'error', code: 'FILTER_REFUSED_BY_CRM', message: `filter: ${crmError.message}`, fix: 'correct the condition; the message above is Salesforce\'s own' });
      }
    }
  }
  report.ok = !report.issues.some((i) => i.severity === 'error');
  return { jobId: job.id, version: job.version, ...report };
}
