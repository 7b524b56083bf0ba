/**
 * Creating, editing and enabling jobs with validation first: a configuration that does not validate
 * (zod, then against the CRM's describe, then the filter by the CRM itself) is refused with every problem,
 * its row and its fix, and nothing is written (T9).
 */
import { ConfigurationError, HubsyncError } from '../../kernel/errors';
import type { CrmSession } from '../crm/connector';
import { openSession } from '../sessions';
import { createJob, getJob, setJobEnabled, updateJobConfig, type JobRecord } from '../hub/jobs';
import type { SecretBox } from '../hub/secrets';
import type { Pool } from '../hub/store';
import { applyJobEdit } from '../mapping/edit';
import { configFromTemplate, JOB_ID_PATTERN, parseJobConfig, type JobConfig } from '../mapping/job-config';
import { getConnection } from '../hub/connections';
import type { JobKind } from '../../kernel/job-kinds';
import { validateJob, type JobValidation } from './validate-job';

export class JobValidationError extends HubsyncError {
  override readonly name = 'JobValidationError';
  constructor(readonly validation: JobValidation) {
    const errors = validation.issues.filter((i) => i.severity === 'error');
    super('configuration', `Job '${validation.jobId}' does not validate; nothing was saved:\n${errors.map((i) => `  - ${i.message}\n    fix: ${i.fix}`).join('\n')}`);
  }
}

/** `body`'s result; its refusal (unknown connection, bad credentials) names the job. */
async function namingJob<T>(jobId: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof HubsyncError) throw new HubsyncError(err.kind, `Job '${jobId}': ${err.message}`, { ...(err.code ? { code: err.code } : {}), ...(err.fix ? { fix: err.fix } : {}), cause: err });
    throw err;
  }
}

/** A session for the job's connection; a refusal (unknown connection, bad credentials) names the job. */
const session = (pool: Pool, box: SecretBox, jobId: string, connectionId: string): Promise<CrmSession> => namingJob(jobId, () => openSession(pool, box, connectionId));

/** The configuration a new job starts from: its kind's template for the connection's CRM (T7). */
export async function templateConfigFor(pool: Pool, input: { id: string; kind: JobKind; connectionId: string }): Promise<JobConfig> {
  const connection = await namingJob(input.id, () => getConnection(pool, input.connectionId));
  return namingJob(input.id, async () => configFromTemplate(input.kind, connection.kind));
}

/** Validates a configuration that is not saved yet, as it would be saved. */
async function validateDraft(pool: Pool, box: SecretBox, draft: { id: string; connectionId: string; config: JobConfig; version: number }): Promise<JobValidation> {
  const record: JobRecord = { ...draft, kind: draft.config.kind, enabled: false, createdAt: '', updatedAt: '' };
  return validateJob(record, await session(pool, box, draft.id, draft.connectionId));
}

export async function createValidatedJob(pool: Pool, box: SecretBox, input: { id: string; connectionId: string; config: unknown }): Promise<{ job: JobRecord; validation: JobValidation }> {
  // The ID first: a job that could never be saved is not validated against the CRM.
  if (typeof input.id !== 'string' || !JOB_ID_PATTERN.test(input.id)) {
    throw new ConfigurationError(`Invalid job ID '${String(input.id).slice(0, 100)}'; nothing was saved.`, { fix: 'use 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit (e.g. acme-tasks-inbound)' });
  }
  const config = parseJobConfig(input.id, input.config);
  const validation = await validateDraft(pool, box, { id: input.id, connectionId: input.connectionId, config, version: 1 });
  if (!validation.ok) throw new JobValidationError(validation);
  return { job: await createJob(pool, { id: input.id, connectionId: input.connectionId, config }), validation };
}

export async function editValidatedJob(pool: Pool, box: SecretBox, id: string, edit: unknown): Promise<{ job: JobRecord; validation: JobValidation }> {
  const current = await getJob(pool, id);
  const config = parseJobConfig(id, applyJobEdit(id, current.config, edit));
  const validation = await validateDraft(pool, box, { id, connectionId: current.connectionId, config, version: current.version + 1 });
  if (!validation.ok) throw new JobValidationError(validation);
  return { job: await updateJobConfig(pool, id, config, current.version), validation };
}

/** Enables a job after validating it again (the CRM's schema may have changed since it was saved). */
export async function enableValidatedJob(pool: Pool, box: SecretBox, id: string): Promise<{ job: JobRecord; validation: JobValidation }> {
  const current = await getJob(pool, id);
  const validation = await validateJob(current, await session(pool, box, id, current.connectionId));
  if (!validation.ok) throw new JobValidationError(validation);
  return { job: await setJobEnabled(pool, id, true), validation };
}
