// Two-way sync of tasks (T18, T19, T29): a tasks-inbound and a tasks-outbound job on the same Salesforce org, run
// alternately five times with changes on both sides. Every change lands once, the later of two changes wins, and
// neither job sends back what the other just wrote (no echo, no flip-flop).
import { Connection as SfConnection } from 'jsforce';
import { Client, Connection } from '@temporalio/client';
import { createValidatedJob } from '../../activities/jobs/configure';
import { configFromTemplate } from '../../activities/mapping/job-config';
import { HubsyncClient } from '../../client/hubsync-client';
import { startSalesforceFixture, testSecretBox, type SalesforceFixture } from '../support/salesforce';
import { fileTaskQueue, testPool, testStack } from '../support/test-env';
import { hubAccountOf, importAccounts, prefixedAccountsConfig, startFileWorker } from '../support/writeback';

jest.setTimeout(300000);

const C = 'obw';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('two-way task sync', () => {
  const pool = testPool();
  let sf: SalesforceFixture;
  let conn: SfConnection;
  let temporalConnection: Connection;
  let hubsync: HubsyncClient;
  let worker: { stop(): Promise<void> };
  let owner: { Id: string; Email: string };
  let accountHubId: number;

  const hubTitle = async (id: number) => (await pool.query<{ title: string }>('SELECT title FROM tasks WHERE id = $1', [id])).rows[0]?.title;
  const crmIdOf = async (hubId: number) => (await pool.query<{ crm_id: string }>(`SELECT crm_id FROM record_links WHERE connection_id = $1 AND hub_type = 'task' AND hub_id = $2`, [C, hubId])).rows[0]?.crm_id;
  const hubIdOf = async (crmId: string) => (await pool.query<{ hub_id: number }>(`SELECT hub_id FROM record_links WHERE connection_id = $1 AND hub_type = 'task' AND crm_id = $2`, [C, crmId])).rows[0]?.hub_id;
  const crmSubject = async (id: string) => (await conn.query<{ Subject: string }>(`SELECT Subject FROM Task WHERE Id = '${id}'`)).records[0]?.Subject;
  const setCrmSubject = (id: string, subject: string) => conn.sobject('Task').update({ Id: id, Subject: subject });
  const setHubTitle = (id: number, title: string) => pool.query('UPDATE tasks SET title = $2 WHERE id = $1', [id, title]);
  /** SF tasks written since `since` (the sandbox stamps every write): what the CRM received, nothing more. */
  const crmWritesSince = async (since: string) => (await conn.query(`SELECT Id FROM Task WHERE SystemModstamp >= ${since.replace(/\.\d{3}Z$/, 'Z')}`)).totalSize;
  /** The next whole second, and a wait past it: Salesforce stamps to the second, so writes from now on are at or after it. */
  const nextSecond = async () => {
    const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000).toISOString();
    await sleep(Date.parse(at) - Date.now() + 50);
    return at;
  };

  beforeAll(async () => {
    sf = await startSalesforceFixture(pool, C, { databaseUrl: testStack.databaseUrl, temporalAddress: testStack.temporalAddress });
    conn = new SfConnection({ instanceUrl: sf.sandbox.url, accessToken: sf.sandbox.accessToken(), version: '62.0' });
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    hubsync = HubsyncClient.over(new Client({ connection: temporalConnection }), pool, { taskQueue: fileTaskQueue(), secretBox: () => testSecretBox });
    worker = await startFileWorker(pool);
    await importAccounts(pool, hubsync, C, prefixedAccountsConfig('OBW'));
    owner = (await conn.query<{ Id: string; Email: string }>('SELECT Id, Email FROM User WHERE IsActive = true ORDER BY Id LIMIT 1')).records[0]!;
    const crmAccount = (await conn.query<{ Id: string }>('SELECT Id FROM Account ORDER BY Id LIMIT 1')).records[0]!;
    accountHubId = await hubAccountOf(pool, C, crmAccount.Id);
    await createValidatedJob(pool, testSecretBox, { id: 'obw-in', connectionId: C, config: configFromTemplate('tasks-inbound') });
    await createValidatedJob(pool, testSecretBox, { id: 'obw-out', connectionId: C, config: configFromTemplate('tasks-outbound') });
  });
  afterAll(async () => {
    await worker?.stop();
    await sf?.close();
    await temporalConnection?.close();
    await pool.end();
  });

  it('keeps tasks in step over five alternating rounds: each change once, the later change wins, no echo (T18, T29)', async () => {
    const imported = await hubsync.runJob('obw-in', 'full');
    expect(imported.stats.created).toBeGreaterThan(10);
    // Tasks that came from Salesforce, whose owner is a CRM user (the outbound job sends owners by email).
    const { rows } = await pool.query<{ id: number }>(
      `SELECT t.id FROM tasks t JOIN record_links l ON l.connection_id = $1 AND l.hub_type = 'task' AND l.hub_id = t.id
        WHERE t.assignee_email IS NOT NULL AND t.title IS NOT NULL ORDER BY t.id LIMIT 12`,
      [C],
    );
    const ids = rows.map((r) => r.id);
    expect(ids).toHaveLength(12);
    const crmIds = await Promise.all(ids.map(async (id) => (await crmIdOf(id))!));

    // The first outbound run after the import has nothing to send: what inbound wrote is not a hub change.
    const quiet = await hubsync.runJob('obw-out', 'incremental');
    expect(quiet.stats).toMatchObject({ created: 0, updated: 0, deleted: 0, rejected: {} });

    const created: number[] = [];
    for (let round = 1; round <= 5; round++) {
      const start = await nextSecond(); // this round's changes are stamped apart from the last round's
      const hubOnly = ids[round - 1]!;
      const crmOnly = crmIds[round + 4]!;
      const both = round + 9 <= 11 ? ids[round + 9]! : undefined; // rounds 1 and 2: one record changed on both sides
      await setHubTitle(hubOnly, `hub change ${round}`);
      const newTask = (await pool.query<{ id: number }>(`INSERT INTO tasks (account_id, title, status, priority, assignee_email) VALUES ($1, $2, 'Not Started', 'Normal', $3) RETURNING id`, [accountHubId, `hub-born task ${round}`, owner.Email])).rows[0]!.id;
      created.push(newTask);
      await setCrmSubject(crmOnly, `crm change ${round}`);
      let winner: string | undefined;
      if (both !== undefined) {
        const bothCrm = (await crmIdOf(both))!;
        // Round 1: the hub changes first, the CRM a second later (the CRM wins); round 2 the other way round.
        const first = round === 1 ? () => setHubTitle(both, 'both sides: hub') : () => setCrmSubject(bothCrm, 'both sides: crm');
        const second = round === 1 ? () => setCrmSubject(bothCrm, 'both sides: crm') : () => setHubTitle(both, 'both sides: hub');
        await first();
        await sleep(1100);
        await second();
        winner = round === 1 ? 'both sides: crm' : 'both sides: hub';
      }

      const out = await hubsync.runJob('obw-out', 'incremental');
      const inb = await hubsync.runJob('obw-in', 'incremental');
      // Outbound sent the hub's change and the new task (and in round 2 the hub's later change); inbound brought the
      // CRM's change (and in round 1 the CRM's later change). Neither counted the other's writes as changes.
      expect(out.stats).toMatchObject({ created: 1, updated: round === 2 ? 2 : 1, rejected: {} });
      expect(out.stats.skipped).toEqual(round === 1 ? { CRM_NEWER: 1 } : {});
      expect(inb.stats).toMatchObject({ created: 0, updated: round === 1 ? 2 : 1, rejected: {} });
      // Round 2's record the hub changed last went out first: inbound sees it as outbound's own write, not a change.
      expect(inb.stats.skipped['HUB_NEWER']).toBeUndefined();
      // The CRM received exactly this round's writes: the CRM-side change(s) and outbound's, nothing re-sent.
      expect(await crmWritesSince(start)).toBe(3 + (both !== undefined ? 1 : 0));

      expect(await crmSubject((await crmIdOf(hubOnly))!)).toBe(`hub change ${round}`);
      expect(await hubTitle((await hubIdOf(crmOnly))!)).toBe(`crm change ${round}`);
      expect(await crmSubject((await crmIdOf(newTask))!)).toBe(`hub-born task ${round}`);
      if (both !== undefined) {
        expect(await hubTitle(both)).toBe(winner);
        expect(await crmSubject((await crmIdOf(both))!)).toBe(winner);
      }
    }
    // The hub-born tasks exist once in each system: inbound matched them instead of importing them again.
    const copies = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE title LIKE 'hub-born task %' AND account_id = $1`, [accountHubId]);
    expect(copies.rows[0]?.n).toBe(5);
    expect((await conn.query(`SELECT Id FROM Task WHERE Subject LIKE 'hub-born task %'`)).totalSize).toBe(5);

    // A final pair of runs finds nothing left to do on either side.
    const settleStart = await nextSecond();
    expect((await hubsync.runJob('obw-out', 'incremental')).stats).toMatchObject({ created: 0, updated: 0 });
    expect((await hubsync.runJob('obw-in', 'incremental')).stats).toMatchObject({ created: 0, updated: 0 });
    expect(await crmWritesSince(settleStart)).toBe(0);
  });

  it('deletes in Salesforce a synced task the hub deleted, and in the hub one Salesforce deleted (T19)', async () => {
    const { rows } = await pool.query<{ id: number }>(
      `SELECT t.id FROM tasks t JOIN record_links l ON l.connection_id = $1 AND l.hub_type = 'task' AND l.hub_id = t.id ORDER BY t.id DESC LIMIT 2`,
      [C],
    );
    const [hubDeleted, crmDeleted] = rows.map((r) => r.id) as [number, number];
    const hubDeletedCrm = (await crmIdOf(hubDeleted))!;
    const crmDeletedCrm = (await crmIdOf(crmDeleted))!;
    await pool.query('DELETE FROM tasks WHERE id = $1', [hubDeleted]);
    await conn.sobject('Task').destroy(crmDeletedCrm);

    const out = await hubsync.runJob('obw-out', 'incremental');
    expect(out.stats.deleted).toBe(1);
    expect((await conn.query(`SELECT Id FROM Task WHERE Id = '${hubDeletedCrm}'`)).totalSize).toBe(0);
    expect(await crmIdOf(hubDeleted)).toBeUndefined();
    const inb = await hubsync.runJob('obw-in', 'incremental');
    expect(inb.stats.deleted).toBe(1);
    expect((await pool.query('SELECT id FROM tasks WHERE id = $1', [crmDeleted])).rows).toEqual([]);
    // Neither deletion comes back: the next runs delete nothing more.
    expect((await hubsync.runJob('obw-out', 'incremental')).stats.deleted).toBe(0);
    expect((await hubsync.runJob('obw-in', 'incremental')).stats.deleted).toBe(0);
  });
});
