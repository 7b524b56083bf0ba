/**
 * Applying a checked write-back plan to the CRMs (W5-W7, W11-W14): the activity the account's workflow runs,
 * one request at a time.
 *
 * Per attribute and data source: read the record (its value, its version, and for a re-point the values read
 * through the same relationship); compare with what the hub last saw (W13: `stale` unless forced); write with
 * the version as the CRM's precondition (a 412 means someone changed it meanwhile: read again and decide
 * again); for a re-point, find the one referenced record whose field matches first and read back the
 * relationship's fields afterwards (micro-sync, W11). Data sources are written in parallel, each within the
 * call's time budget; transient failures (5xx, locked rows, timeouts, rate limits) are retried inside it.
 *
 * Never twice (W14): a request's outcome is stored once complete and returned to any retry; before each
 * CRM write a `pending` log row records that the write may be sent, so an attempt that finds one (the worker
 * died) re-reads the CRM and recognises its own write instead of sending it again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { HubsyncError } from '../../kernel/errors';
import { toIsoDateTime } from '../../kernel/datetime';
import {
  WRITE_BACK_BUDGET_MS,
  type MicroSyncRefresh,
  type PlannedSourceWrite,
  type WriteBackOutcome,
  type WriteBackPlan,
  type WriteBackSourceOutcome,
  type WriteBackStatus,
} from '../../kernel/writeback';
import type { CrmSession } from '../crm/connector';
import { CrmError } from '../crm/errors';
import { withTransaction, type Pool } from '../hub/store';
import { readPath, toHubValue } from '../mapping/engine';
import type { HubFieldType } from '../mapping/hub-fields';
import type { SessionSource } from '../sessions';
import { activityLog, writeBackObserved } from '../telemetry';
import { sameValue } from './fields';
import { toDbOrigin } from './prepare';

/** Longest one CRM call may take before it counts as failed (and is retried while the budget lasts). */
const CALL_TIMEOUT_MS = 10_000;
/** A retried activity (a worker died) always gets this long to re-read and finish, even past the budget. */
const RETRY_WINDOW_MS = 5_000;
/** Precondition failures (the record changed between read and write) before giving up on a source. */
const MAX_PRECONDITION_FAILURES = 3;

export interface WriteBackDeps {
  pool: Pool;
  session: SessionSource;
}

interface LogRow {
  outcome: string;
  previous_value: unknown;
  detail: WriteBackSourceOutcome | null;
}

/** Another hub attribute read through the relationship a re-point changes (micro-sync, W11). */
interface Sibling {
  attributeId: number;
  key: string;
  crmField: string;
  valueType: HubFieldType;
  kind: 'attribute' | 'account_assignment';
  /** Its value in the hub (for this account and connection) before the write-back. */
  hubValue: unknown;
}

/** Tells Temporal the attempt is alive: a worker that stops heartbeating is presumed dead within seconds. */
const heartbeat = () => Context.current().heartbeat();

/** Exponential backoff from 250 ms (or the CRM's own hint), never past the deadline. */
const backoffMs = (attempt: number, deadline: number, retryAfterMs?: number) => Math.min(retryAfterMs ?? 250 * 2 ** Math.min(attempt - 1, 4), Math.max(0, deadline - Date.now()));

/** An outcome for one source with nothing known yet beyond the source itself. */
function sourceOutcome(w: PlannedSourceWrite, status: WriteBackStatus): WriteBackSourceOutcome {
  return {
    attribute: w.attribute,
    connectionId: w.connectionId,
    crmObject: w.crmObject,
    crmId: w.crmId,
    crmField: w.crmField,
    writtenField: null,
    referenceMode: w.field.reference ? w.referenceMode : null,
    status,
    valueBefore: null,
    valueAfter: null,
    hubLastSeen: null,
    message: null,
    crmMessage: null,
    refreshed: [],
    crmCalls: 0,
    durationMs: 0,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CrmError('transient', 'TIMEOUT', `${what}: no answer from the CRM within ${Math.round(ms)} ms`)), Math.max(1, ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function retryable(err: unknown): err is HubsyncError {
  return err instanceof HubsyncError && (err.kind === 'transient' || err.kind === 'rate-limit');
}

export function createWriteBackActivities(deps: WriteBackDeps) {
  const { pool } = deps;

  /** Hub value of an attribute or assignment on one source: the CRM value last seen (W13). */
  const lastSeenSql = (w: PlannedSourceWrite) =>
    `SELECT crm_value FROM ${w.kind === 'account_assignment' ? 'account_assignments' : 'attribute_values'} WHERE account_id = $1 AND attribute_id = $2 AND connection_id = $3`;

  async function hubLastSeen(plan: WriteBackPlan, w: PlannedSourceWrite): Promise<unknown> {
    const { rows } = await pool.query<{ crm_value: unknown }>(lastSeenSql(w), [plan.accountId, w.attributeId, w.connectionId]);
    return rows[0]?.crm_value ?? null;
  }

  /**
   * What one source's write starts from, in one query: its log row if an earlier attempt left one, the CRM
   * value the hub last saw, and (for a re-point) the other attributes read through the same relationship,
   * with their hub values.
   */
  async function sourceState(plan: WriteBackPlan, w: PlannedSourceWrite): Promise<{ previous: LogRow | undefined; lastSeen: unknown; siblings: Sibling[] }> {
    const relationship = w.field.reference && w.referenceMode === 'repoint' ? w.field.reference.relationship : null;
    const { rows } = await pool.query<{
      previous: LogRow | null;
      last_seen: { v: unknown } | null;
      siblings: Array<{ attribute_id: number; key: string; crm_field: string; value_type: HubFieldType; kind: Sibling['kind']; hub_value: unknown }> | null;
    }>(
      `SELECT
         (SELECT row_to_json(l) FROM (SELECT outcome, previous_value, detail FROM write_back_log
            WHERE request_id = $4 AND attribute_id = $2 AND connection_id = $3) l) AS previous,
         (SELECT json_build_object('v', crm_value) FROM (${lastSeenSql(w)}) s) AS last_seen,
         (SELECT json_agg(json_build_object('attribute_id', s.attribute_id, 'key', d.key, 'crm_field', s.crm_field, 'value_type', d.value_type, 'kind', d.kind,
                                            'hub_value', coalesce(v.value, to_jsonb(u.email))) ORDER BY d.key)
            FROM attribute_sources s JOIN attribute_definitions d ON d.id = s.attribute_id
            LEFT JOIN attribute_values v ON v.attribute_id = s.attribute_id AND v.account_id = $1 AND v.connection_id = $3
            LEFT JOIN account_assignments a ON a.attribute_id = s.attribute_id AND a.account_id = $1 AND a.connection_id = $3
            LEFT JOIN hub_users u ON u.id = a.user_id
           WHERE $5::text IS NOT NULL AND s.connection_id = $3 AND lower(s.crm_object) = lower($6) AND lower(s.crm_field) LIKE lower($5::text || '.%')
             AND s.attribute_id <> $2) AS siblings`,
      [plan.accountId, w.attributeId, w.connectionId, plan.requestId, relationship, w.crmObject],
    );
    const row = rows[0];
    const siblings = (row?.siblings ?? [])
      .filter((r) => r.crm_field.split('.').length === 2)
      .map((r) => ({ attributeId: Number(r.attribute_id), key: r.key, crmField: r.crm_field, valueType: r.value_type, kind: r.kind, hubValue: r.hub_value ?? null }));
    return { previous: row?.previous ?? undefined, lastSeen: row?.last_seen?.v ?? null, siblings };
  }

  async function markPending(plan: WriteBackPlan, w: PlannedSourceWrite, version: string | null, before: unknown, lastSeen: unknown): Promise<void> {
    await pool.query(
      `INSERT INTO write_back_log (request_id, origin, account_id, attribute_id, connection_id, crm_object, crm_id, crm_field, requested_value,
                                   previous_value, outcome, requested_at, actor, hub_last_seen, read_version, writes_sent, received_position)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', to_timestamp($11 / 1000.0), $12, $13, $14, 1, $15)
       ON CONFLICT ON CONSTRAINT write_back_log_one_per_source
       DO UPDATE SET read_version = EXCLUDED.read_version, writes_sent = write_back_log.writes_sent + 1`,
      [plan.requestId, toDbOrigin(plan.origin), plan.accountId, w.attributeId, w.connectionId, w.crmObject, w.crmId, w.crmField, JSON.stringify(w.value), JSON.stringify(before ?? null), plan.acceptedAtMs, plan.actor, JSON.stringify(lastSeen ?? null), version, plan.receivedPosition ?? null],
    );
  }

  /**
   * The final outcome of one source and, when written or unchanged, the hub's value brought in line: one
   * statement (the log row and the value together), plus the micro-sync rows in the same transaction.
   */
  async function finish(plan: WriteBackPlan, w: PlannedSourceWrite, outcome: WriteBackSourceOutcome, microSync: Array<{ sibling: Sibling; value: unknown }>): Promise<WriteBackSourceOutcome> {
    const hubUpdate =
      w.kind === 'account_assignment'
        ? `UPDATE account_assignments SET user_id = $22, crm_value = $9, updated_at = now()`
        : `UPDATE attribute_values SET value = $9, crm_value = $9, updated_at = now()`;
    const statement = `
      WITH hub AS (
        ${hubUpdate} WHERE account_id = $3 AND attribute_id = $4 AND connection_id = $5 AND $11::text IN ('written', 'unchanged')
        RETURNING 1
      )
      INSERT INTO write_back_log (request_id, origin, account_id, attribute_id, connection_id, crm_object, crm_id, crm_field, requested_value,
                                  previous_value, outcome, message, requested_at, completed_at, actor, hub_last_seen, value_after, crm_message,
                                  refreshed, crm_calls, writes_sent, detail, received_position)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, to_timestamp($13 / 1000.0), now(), $14, $15, $16, $17, $18, $19, 0, $20, $21)
      ON CONFLICT ON CONSTRAINT write_back_log_one_per_source
      DO UPDATE SET previous_value = EXCLUDED.previous_value, outcome = EXCLUDED.outcome, message = EXCLUDED.message, completed_at = now(),
                    hub_last_seen = EXCLUDED.hub_last_seen, value_after = EXCLUDED.value_after, crm_message = EXCLUDED.crm_message,
                    refreshed = EXCLUDED.refreshed, crm_calls = write_back_log.crm_calls + EXCLUDED.crm_calls, detail = EXCLUDED.detail`;
    const params = [
      plan.requestId, toDbOrigin(plan.origin), plan.accountId, w.attributeId, w.connectionId, w.crmObject, w.crmId, w.crmField, JSON.stringify(w.value),
      JSON.stringify(outcome.valueBefore ?? null), outcome.status, outcome.message, plan.acceptedAtMs, plan.actor, JSON.stringify(outcome.hubLastSeen ?? null),
      JSON.stringify(outcome.valueAfter ?? null), outcome.crmMessage, JSON.stringify(outcome.refreshed), outcome.crmCalls, JSON.stringify(outcome),
      plan.receivedPosition ?? null,
      ...(w.kind === 'account_assignment' ? [w.hubUserId] : []),
    ];
    if (microSync.length === 0) {
      await pool.query(statement, params);
      return outcome;
    }
    await withTransaction(pool, async (client) => {
      for (const { sibling, value } of microSync) {
        if (sibling.kind === 'account_assignment') {
          const email = typeof value === 'string' && value.trim() !== '' ? value.trim().toLowerCase() : null;
          const user = email
            ? (await client.query<{ id: number }>(`INSERT INTO hub_users (email) VALUES ($1) ON CONFLICT (lower(email)) DO UPDATE SET email = hub_users.email RETURNING id`, [email])).rows[0]?.id
            : null;
          await client.query(
            `INSERT INTO account_assignments (account_id, attribute_id, user_id, connection_id, crm_field, crm_value) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT ON CONSTRAINT account_assignments_one_per_source DO UPDATE SET user_id = EXCLUDED.user_id, crm_value = EXCLUDED.crm_value, updated_at = now()`,
            [plan.accountId, sibling.attributeId, user ?? null, w.connectionId, sibling.crmField, JSON.stringify(email)],
          );
        } else {
          await client.query(
            `INSERT INTO attribute_values (account_id, attribute_id, connection_id, crm_field, value, crm_value) VALUES ($1, $2, $3, $4, $5, $5)
             ON CONFLICT ON CONSTRAINT attribute_values_one_per_source DO UPDATE SET value = EXCLUDED.value, crm_value = EXCLUDED.crm_value, updated_at = now()`,
            [plan.accountId, sibling.attributeId, w.connectionId, sibling.crmField, JSON.stringify(value ?? null)],
          );
        }
      }
      await client.query(statement, params);
    });
    return outcome;
  }

  /** One attribute on one data source, from the first read to the final log row. */
  async function applyOne(plan: WriteBackPlan, w: PlannedSourceWrite, session: CrmSession, deadline: number): Promise<WriteBackSourceOutcome> {
    const started = performance.now();
    const { previous, lastSeen, siblings } = await sourceState(plan, w);
    if (previous && previous.outcome !== 'pending' && previous.detail) return previous.detail;

    const ref = w.field.reference;
    const versionPath = ref ? `${ref.relationship}.${session.versionField}` : session.versionField;
    const readPaths = [w.crmField, ...(ref ? [ref.lookupField, versionPath] : []), ...siblings.map((s) => s.crmField)];
    const writtenField = !ref ? w.field.field.name : w.referenceMode === 'repoint' ? ref.lookupField : `${ref.targetObject}.${w.field.field.name}`;

    let calls = 0;
    let sent = previous?.outcome === 'pending';
    let before: unknown = sent ? previous?.previous_value : undefined;
    let preconditionFailures = 0;
    let attempt = 0;
    let lastError: HubsyncError | undefined;

    const result = (status: WriteBackStatus, extra: Partial<WriteBackSourceOutcome>): WriteBackSourceOutcome => ({
      ...sourceOutcome(w, status),
      writtenField: status === 'written' ? writtenField : null,
      valueBefore: before ?? null,
      hubLastSeen: lastSeen,
      crmCalls: calls,
      durationMs: Math.round(performance.now() - started),
      ...extra,
    });
    const call = <T>(what: string, body: () => Promise<T>): Promise<T> => {
      calls++;
      heartbeat();
      return withTimeout(body(), Math.min(CALL_TIMEOUT_MS, deadline - Date.now()), what);
    };
    const refreshFrom = (fields: Record<string, unknown>): { refreshed: MicroSyncRefresh[]; values: Array<{ sibling: Sibling; value: unknown }> } => {
      const values = siblings.map((sibling) => ({ sibling, value: toHubValue(readPath(fields, sibling.crmField), sibling.valueType) ?? null }));
      return { values, refreshed: values.map(({ sibling, value }) => ({ attribute: sibling.key, crmField: sibling.crmField, before: sibling.hubValue, after: value })) };
    };

    for (;;) {
      attempt++;
      if (Date.now() >= deadline) {
        const message = `gave up after ${attempt - 1} attempt(s) within the ${WRITE_BACK_BUDGET_MS / 1000} s budget${lastError ? `: ${lastError.message}` : ''}${sent ? '; a write was sent and may have landed, the next sync will show it' : ''}`;
        return finish(plan, w, result('failed', { message, crmMessage: lastError ? `${lastError.code ?? ''} ${lastError.message}`.trim() : null }), []);
      }
      try {
        const read = await call(`reading ${w.crmObject} ${w.crmId}`, () => session.readForWrite(w.crmObject, w.crmId, readPaths));
        if (!read) {
          return finish(plan, w, result('rejected', { message: `${w.crmObject} ${w.crmId} no longer exists in the CRM (deleted or merged); the next sync of the account will show it` }), []);
        }
        const current = readPath(read.fields, w.crmField);
        if (!sent) before = current;
        if (sameValue(w.field.field, current, w.crmValue)) {
          if (!sent) return finish(plan, w, result('unchanged', { valueAfter: current, message: 'the CRM holds this value already; nothing was sent' }), []);
          // Our write landed (perhaps before a crash, or its answer was lost): this read is the state after it.
          const sync = refreshFrom(read.fields);
          return finish(plan, w, result('written', { valueAfter: current, refreshed: sync.refreshed }), sync.values);
        }
        if (!plan.force && !sameValue(w.field.field, current, lastSeen)) {
          return finish(plan, w, result('stale', {
            valueAfter: current,
            message: `the CRM's value changed since the hub last saw it (hub saw ${JSON.stringify(lastSeen)}, the CRM has ${JSON.stringify(current ?? null)}); nothing was written. Send again with force to overwrite it`,
          }), []);
        }

        let target: { object: string; id: string; version: string | null; fields: Record<string, string | number | boolean | null> };
        if (!ref) {
          target = { object: w.crmObject, id: w.crmId, version: read.version, fields: { [w.field.field.name]: w.crmValue } };
        } else if (w.referenceMode === 'repoint') {
          const value = w.crmValue as string | number | boolean;
          const matches = await call(`looking up ${ref.targetObject} by ${w.field.field.name}`, () => session.findRecordsByField(ref.targetObject, w.field.field.name, value, [], 2));
          if (matches.length !== 1) {
            const which = matches.length === 0 ? `no active ${ref.targetObject} has ${w.field.field.name} = ${JSON.stringify(value)}` : `several ${ref.targetObject} records have ${w.field.field.name} = ${JSON.stringify(value)} (${matches.map((m) => m.id).join(', ')}, …)`;
            return finish(plan, w, result('rejected', { valueAfter: current, message: `${which}, so ${w.crmObject}.${ref.lookupField} cannot be re-pointed; nothing was written (W7)` }), []);
          }
          target = { object: w.crmObject, id: w.crmId, version: read.version, fields: { [ref.lookupField]: (matches[0] as { id: string }).id } };
        } else {
          const referencedId = readPath(read.fields, ref.lookupField);
          if (typeof referencedId !== 'string' || referencedId === '') {
            return finish(plan, w, result('rejected', { valueAfter: current, message: `${w.crmObject}.${ref.lookupField} is empty: there is no referenced ${ref.targetObject} to edit` }), []);
          }
          target = { object: ref.targetObject, id: referencedId, version: toIsoDateTime(readPath(read.fields, versionPath)), fields: { [w.field.field.name]: w.crmValue } };
        }

        await markPending(plan, w, target.version, current, lastSeen);
        sent = true;
        const written = await call(`updating ${target.object} ${target.id}`, () => session.updateIfUnchanged(target.object, target.id, target.version, target.fields));
        calls += (written.requests ?? 1) - 1;
        if (written.stale) {
          // Changed between our read and our write (412): read again and decide again.
          preconditionFailures++;
          if (preconditionFailures >= MAX_PRECONDITION_FAILURES) {
            return finish(plan, w, result('failed', { message: `the record changed between read and write ${preconditionFailures} times in a row; nothing was written`, crmMessage: written.errors[0]?.message ?? null }), []);
          }
          continue;
        }
        if (!written.ok) {
          const e = written.errors[0];
          return finish(plan, w, result('rejected', { valueAfter: current, message: 'the CRM refused the value; nothing was written', crmMessage: e ? `${e.code}: ${e.message}` : null }), []);
        }
        if (ref && w.referenceMode === 'repoint' && siblings.length > 0) {
          // Micro-sync (W11): the relationship now points elsewhere; read its fields as the CRM has them now.
          const after = await call(`reading back ${w.crmObject} ${w.crmId}`, () => session.readForWrite(w.crmObject, w.crmId, readPaths));
          const sync = refreshFrom(after?.fields ?? {});
          return finish(plan, w, result('written', { valueAfter: after ? readPath(after.fields, w.crmField) : w.crmValue, refreshed: sync.refreshed }), sync.values);
        }
        return finish(plan, w, result('written', { valueAfter: w.crmValue }), []);
      } catch (err) {
        if (!retryable(err)) {
          if (err instanceof HubsyncError) {
            return finish(plan, w, result('failed', { message: `${err.message}${err.fix ? ` (${err.fix})` : ''}`, crmMessage: err.code ?? null }), []);
          }
          throw err;
        }
        lastError = err;
        if (err.retryAfterMs !== undefined && Date.now() + err.retryAfterMs > deadline) {
          // The CRM asks for a wait past the call's budget (a daily allowance used up): say so now.
          const message = `the CRM asks to wait ${Math.ceil(err.retryAfterMs / 1000)} s before calling again, longer than this call may take: ${err.message}${err.fix ? ` (${err.fix})` : ''}${sent ? '; a write was sent and may have landed, the next sync will show it' : ''}`;
          return finish(plan, w, result('failed', { message, crmMessage: err.code ?? null }), []);
        }
        await sleep(backoffMs(attempt, deadline, err.retryAfterMs));
      }
    }
  }

  /** Every write of one connection, in order, within the budget; a session that cannot open fails them all. */
  async function applyConnection(plan: WriteBackPlan, writes: PlannedSourceWrite[], deadline: number, opening: Promise<CrmSession>): Promise<WriteBackSourceOutcome[]> {
    let session: CrmSession | undefined;
    let lastError: HubsyncError | undefined;
    for (let attempt = 1; !session && Date.now() < deadline; attempt++) {
      try {
        const open = attempt === 1 ? opening : deps.session(writes[0]?.connectionId ?? '');
        session = await withTimeout(open, Math.min(CALL_TIMEOUT_MS, deadline - Date.now()), 'opening the CRM session');
      } catch (err) {
        if (!(err instanceof HubsyncError)) throw err;
        lastError = err;
        if (!retryable(err)) break;
        await sleep(backoffMs(attempt, deadline, err.retryAfterMs));
      }
    }
    const outcomes: WriteBackSourceOutcome[] = [];
    for (const w of writes) {
      if (session) {
        outcomes.push(await applyOne(plan, w, session, deadline));
        continue;
      }
      const failed: WriteBackSourceOutcome = {
        ...sourceOutcome(w, 'failed'),
        hubLastSeen: await hubLastSeen(plan, w),
        message: `could not connect to the CRM of '${w.connectionId}'${lastError ? `: ${lastError.message}` : ''}${lastError?.fix ? ` (${lastError.fix})` : ''}`,
        crmMessage: lastError?.code ?? null,
      };
      outcomes.push(await finish(plan, w, failed, []));
    }
    return outcomes;
  }

  /**
   * Issue 15: each source's time in `hubsync_writeback_duration_seconds{crm,status}`, and one log line per
   * source with the request's IDs and its status (never the values).
   */
  async function observe(plan: WriteBackPlan, sources: WriteBackSourceOutcome[], crmOf: Map<string, string>): Promise<void> {
    const unknown = [...new Set(sources.map((s) => s.connectionId))].filter((id) => !crmOf.has(id));
    if (unknown.length) {
      const { rows } = await pool.query<{ id: string; kind: string }>('SELECT id, kind FROM crm_connections WHERE id = ANY($1)', [unknown]);
      for (const r of rows) crmOf.set(r.id, r.kind);
    }
    for (const s of sources) {
      const crm = crmOf.get(s.connectionId) ?? 'unknown';
      writeBackObserved(crm, s.status, s.durationMs);
      activityLog()?.info('write-back source done', {
        requestId: plan.requestId,
        accountId: plan.accountId,
        origin: plan.origin,
        attribute: s.attribute,
        connectionId: s.connectionId,
        crm,
        crmObject: s.crmObject,
        crmId: s.crmId,
        status: s.status,
        crmCalls: s.crmCalls,
        durationMs: s.durationMs,
        ...(s.crmMessage ? { crmMessage: s.crmMessage } : {}),
      });
    }
  }

  return {
    /** Applies one write-back plan; the same request ID returns its first outcome and never writes twice (W14). */
    async applyWriteBack(plan: WriteBackPlan): Promise<WriteBackOutcome> {
      const started = Date.now();
      const byConnection = new Map<string, PlannedSourceWrite[]>();
      for (const w of plan.writes) byConnection.set(w.connectionId, [...(byConnection.get(w.connectionId) ?? []), w]);
      // The sessions are looked up while the request's row is written; nothing reaches a CRM before it is.
      const crmOf = new Map<string, string>();
      const opening = new Map([...byConnection.keys()].map((id) => [id, deps.session(id).then((s) => (crmOf.set(id, s.kind), s))]));
      for (const open of opening.values()) open.catch(() => undefined);
      // One round trip: the request's row, new or (a retry) the one stored, with its status.
      const { rows } = await pool.query<{ status: string; outcome: WriteBackOutcome | null }>(
        `INSERT INTO write_back_requests (request_id, account_id, origin, actor, force, changes, requested_at)
         VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7 / 1000.0))
         ON CONFLICT (request_id) DO UPDATE SET request_id = write_back_requests.request_id
         RETURNING status, outcome`,
        [plan.requestId, plan.accountId, toDbOrigin(plan.origin), plan.actor, plan.force, JSON.stringify(plan.changes), plan.acceptedAtMs],
      );
      const stored = rows[0];
      if (stored?.status === 'completed' && stored.outcome) return { ...stored.outcome, replayed: true };

      const deadline = Math.max(plan.acceptedAtMs + WRITE_BACK_BUDGET_MS, started + RETRY_WINDOW_MS);
      const ticker = setInterval(heartbeat, 2000);
      let perConnection: WriteBackSourceOutcome[][];
      try {
        perConnection = await Promise.all([...byConnection].map(([id, writes]) => applyConnection(plan, writes, deadline, opening.get(id) as Promise<CrmSession>)));
      } finally {
        clearInterval(ticker);
      }
      const all = perConnection.flat();
      const sources = plan.writes.map((w) => all.find((o) => o.attribute === w.attribute && o.connectionId === w.connectionId) as WriteBackSourceOutcome);
      const outcome: WriteBackOutcome = {
        requestId: plan.requestId,
        accountId: plan.accountId,
        origin: plan.origin,
        actor: plan.actor,
        replayed: false,
        ok: sources.every((s) => s.status === 'written' || s.status === 'unchanged'),
        sources,
        durationMs: Date.now() - plan.acceptedAtMs,
      };
      await pool.query(`UPDATE write_back_requests SET status = 'completed', outcome = $2, completed_at = now() WHERE request_id = $1`, [plan.requestId, JSON.stringify(outcome)]);
      await observe(plan, sources, crmOf);
      return outcome;
    },
  };
}
