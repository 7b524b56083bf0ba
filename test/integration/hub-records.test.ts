// The hub's own tasks, touchpoints and campaign touches, written through the typed client and the CLI as the
// hub's application writes them: the sources of outbound jobs (T3, T5, T6). Refusals name every problem and
// write nothing (T20), and the database triggers outbound jobs rely on hold: updated_at moves on a real change
// only, a deletion leaves a tombstone (T19), a participant change stamps its touchpoint (T23).
import { HubRecordNotFoundError, HubRecordRefusedError } from '../../activities/hub/records';
import { HubsyncClient } from '../../client/hubsync-client';
import { runCli } from '../support/cli';
import { testPool, testStack, testTemporalClient } from '../support/test-env';

describe('hub records (client and CLI)', () => {
  const pool = testPool();
  let temporal: Awaited<ReturnType<typeof testTemporalClient>>;
  let hubsync: HubsyncClient;
  /** This file's own accounts: other test files write hub records into the same database meanwhile. */
  let account: number;
  let other: number;

  /** updated_at in microseconds: the hub stamps finer than the milliseconds of a record's ISO strings. */
  const stamp = async (table: string, id: number) => (await pool.query<{ us: number }>(`SELECT (extract(epoch FROM updated_at) * 1000000)::bigint AS us FROM ${table} WHERE id = $1`, [id])).rows[0]!.us;
  const tombstones = async (type: string, id: number) => (await pool.query('SELECT account_id FROM hub_tombstones WHERE hub_type = $1 AND hub_id = $2', [type, id])).rows;
  const counts = async () =>
    (
      await pool.query(
        `SELECT (SELECT count(*) FROM tasks WHERE account_id = ANY($1))::int AS tasks,
                (SELECT count(*) FROM touchpoints WHERE account_id = ANY($1))::int AS touchpoints,
                (SELECT count(*) FROM touchpoint_participants p JOIN touchpoints t ON t.id = p.touchpoint_id WHERE t.account_id = ANY($1))::int AS participants,
                (SELECT count(*) FROM campaign_touches WHERE account_id = ANY($1))::int AS campaign_touches,
                (SELECT count(*) FROM hub_tombstones WHERE account_id = ANY($1))::int AS tombstones`,
        [[account, other]],
      )
    ).rows[0] as Record<string, number>;
  const refusal = async (call: Promise<unknown>): Promise<HubRecordRefusedError> => {
    const err = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HubRecordRefusedError);
    return err as HubRecordRefusedError;
  };
  const fieldsOf = (err: HubRecordRefusedError) => err.problems.map((p) => p.field).sort();
  // The database alone: these commands need no Temporal server.
  const cli = (args: string[]) => runCli(['hub', ...args], { DATABASE_URL: testStack.databaseUrl, TEMPORAL_ADDRESS: '', HUBSYNC_HOME: '/nonexistent/hubsync-home' });
  const cliJson = async <T>(args: string[]): Promise<T> => {
    const result = await cli([...args, '--json']);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(result.stdout) as T;
  };

  beforeAll(async () => {
    temporal = await testTemporalClient();
    hubsync = HubsyncClient.over(temporal.client, pool);
    const { rows } = await pool.query<{ id: number }>(`INSERT INTO accounts (name) VALUES ('Hub records Co'), ('Hub records Other Co') RETURNING id`);
    [account, other] = rows.map((r) => r.id) as [number, number];
  });
  afterAll(async () => {
    await temporal.close();
    await pool.end();
  });

  describe('through the client', () => {
    it('T3: creates, patches and deletes a task as the hub application writes it', async () => {
      const created = await hubsync.createHubRecord('task', {
        accountId: account,
        title: '  Renewal call ',
        description: 'Bring the usage report',
        status: 'Not Started',
        priority: 'Normal',
        dueDate: '2026-12-10',
        assigneeEmail: 'Ana.Silva@Example.com',
        assignerEmail: 'lead@example.com',
      });
      expect(created).toMatchObject({ accountId: account, externalId: null, title: 'Renewal call', dueDate: '2026-12-10', assigneeEmail: 'ana.silva@example.com', status: 'Not Started' });
      expect(await hubsync.getHubRecord('task', created.id)).toEqual(created);

      const patched = await hubsync.updateHubRecord('task', created.id, { status: 'Completed', description: null });
      const { updatedAt: _before, ...unchanged } = created;
      expect(patched).toEqual({ ...unchanged, status: 'Completed', description: null, updatedAt: expect.any(String) });
      expect(Date.parse(patched.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));
      expect((await hubsync.listHubRecords('task', { accountId: account })).map((t) => t.id)).toContain(created.id);
      expect(await hubsync.listHubRecords('task', { accountId: other })).toEqual([]);

      expect(await hubsync.deleteHubRecord('task', created.id)).toEqual(patched);
      expect((await pool.query('SELECT 1 FROM tasks WHERE id = $1', [created.id])).rowCount).toBe(0);
      expect(await tombstones('task', created.id)).toEqual([{ account_id: account }]);
      await expect(hubsync.getHubRecord('task', created.id)).rejects.toThrow(HubRecordNotFoundError);
    });

    it('T5, T23: creates a touchpoint with its participants, replaces them as a whole, and deletes it', async () => {
      const created = await hubsync.createHubRecord('touchpoint', {
        accountId: account,
        subject: 'Quarterly review',
        touchpointDate: '2026-12-10T09:30:00+01:00',
        touchpointType: 'Meeting',
        creatorEmail: 'CSM@Example.com',
        participants: [{ email: 'Bob@Client.example', name: 'Bob' }, { email: 'eve@client.example' }],
      });
      const entered = (email: string, name: string | null) => ({ key: email, email, name, connectionId: null, crmContactId: null });
      expect(created).toMatchObject({
        subject: 'Quarterly review',
        content: null,
        touchpointDate: '2026-12-10T08:30:00.000Z',
        creatorEmail: 'csm@example.com',
        participants: [entered('bob@client.example', 'Bob'), entered('eve@client.example', null)],
      });

      const replaced = await hubsync.updateHubRecord('touchpoint', created.id, { participants: [{ email: 'zoe@client.example', name: 'Zoe' }] });
      expect(replaced).toMatchObject({ subject: 'Quarterly review', participants: [entered('zoe@client.example', 'Zoe')] });
      const rows = await pool.query('SELECT participant_key, email, name, connection_id, crm_contact_id FROM touchpoint_participants WHERE touchpoint_id = $1', [created.id]);
      expect(rows.rows).toEqual([{ participant_key: 'zoe@client.example', email: 'zoe@client.example', name: 'Zoe', connection_id: null, crm_contact_id: null }]);

      await hubsync.deleteHubRecord('touchpoint', created.id);
      expect((await pool.query('SELECT 1 FROM touchpoint_participants WHERE touchpoint_id = $1', [created.id])).rowCount).toBe(0);
      expect(await tombstones('touchpoint', created.id)).toEqual([{ account_id: account }]);
    });

    it('T6: creates a campaign touch (start date a date or a date-time), patches and deletes it', async () => {
      const created = await hubsync.createHubRecord('campaign_touch', {
        accountId: account,
        campaignName: 'Winter webinar',
        campaignKind: 'one_time',
        recipientCount: 40,
        senderEmail: 'Marketing@Example.com',
        startDate: '2026-12-10',
      });
      expect(created).toMatchObject({ campaignName: 'Winter webinar', campaignKind: 'one_time', recipientCount: 40, senderEmail: 'marketing@example.com', startDate: '2026-12-10T00:00:00.000Z', description: null });

      const patched = await hubsync.updateHubRecord('campaign_touch', created.id, { recipientCount: 55, startDate: '2026-12-11T15:00:00-05:00', createdByEmail: 'Ops@Example.com' });
      expect(patched).toMatchObject({ recipientCount: 55, startDate: '2026-12-11T20:00:00.000Z', createdByEmail: 'ops@example.com', campaignName: 'Winter webinar' });

      await hubsync.deleteHubRecord('campaign_touch', created.id);
      expect(await tombstones('campaign_touch', created.id)).toEqual([{ account_id: account }]);
    });
  });

  describe('the triggers outbound jobs rely on', () => {
    it('T3: an update that changes something stamps updated_at; one that changes nothing leaves it', async () => {
      const task = await hubsync.createHubRecord('task', { accountId: account, title: 'Stamp me', status: 'Not Started' });
      const first = await stamp('tasks', task.id);
      const same = await hubsync.updateHubRecord('task', task.id, { title: 'Stamp me', status: 'Not Started' });
      expect(await stamp('tasks', task.id)).toBe(first);
      expect(same.updatedAt).toBe(task.updatedAt);
      await hubsync.updateHubRecord('task', task.id, { status: 'In Progress' });
      expect(await stamp('tasks', task.id)).toBeGreaterThan(first);
    });

    it('T23: replacing the participants stamps the touchpoint; the same participants again do not', async () => {
      const touchpoint = await hubsync.createHubRecord('touchpoint', { accountId: account, content: 'Call notes', participants: [{ email: 'amy@client.example', name: 'Amy' }] });
      const first = await stamp('touchpoints', touchpoint.id);
      await hubsync.updateHubRecord('touchpoint', touchpoint.id, { participants: [{ email: 'AMY@client.example', name: 'Amy' }] });
      expect(await stamp('touchpoints', touchpoint.id)).toBe(first);
      await hubsync.updateHubRecord('touchpoint', touchpoint.id, { participants: [{ email: 'amy@client.example', name: 'Amy' }, { email: 'ben@client.example' }] });
      const second = await stamp('touchpoints', touchpoint.id);
      expect(second).toBeGreaterThan(first);
      // Whoever writes the participant rows: the trigger stamps the touchpoint, not this API.
      await pool.query(`DELETE FROM touchpoint_participants WHERE touchpoint_id = $1 AND participant_key = 'ben@client.example'`, [touchpoint.id]);
      expect(await stamp('touchpoints', touchpoint.id)).toBeGreaterThan(second);
    });

    it('T19: a deletion leaves one tombstone with the record\'s account', async () => {
      const task = await hubsync.createHubRecord('task', { accountId: other, title: 'Short-lived' });
      expect(await tombstones('task', task.id)).toEqual([]);
      await hubsync.deleteHubRecord('task', task.id);
      expect(await tombstones('task', task.id)).toEqual([{ account_id: other }]);
      await expect(hubsync.deleteHubRecord('task', task.id)).rejects.toThrow(HubRecordNotFoundError);
    });
  });

  describe('T20: refusals name every problem, with its fix, and write nothing', () => {
    it('refuses a new task, touchpoint and campaign touch with all their problems at once', async () => {
      const before = await counts();
      const task = await refusal(
        hubsync.createHubRecord('task', { accountId: 999_999_999, title: '  ', dueDate: '10/12/2026', assigneeEmail: 'not-an-email', externalId: '00tabc', colour: 'red' } as never),
      );
      expect(fieldsOf(task)).toEqual(['accountId', 'assigneeEmail', 'colour', 'dueDate', 'externalId', 'title']);
      expect(task.message).toMatch(/^New task refused; nothing was written:/);
      expect(task.message).toContain('accountId: there is no hub account 999999999; fix: give the hub ID of an existing account');
      expect(task.message).toContain('dueDate: "10/12/2026" is not a date (YYYY-MM-DD); fix: write the date as YYYY-MM-DD, e.g. 2026-12-10');
      expect(task.message).toContain('assigneeEmail: "not-an-email" is not an email address; fix: give an address such as ana@example.com');
      expect(task.message).toMatch(/externalId: set by hubsync alone: .*; fix: remove it/);
      expect(task.message).toMatch(/colour: not a field here; fix: remove it or check the spelling \(fields: accountId, title, description/);

      const touchpoint = await refusal(
        hubsync.createHubRecord('touchpoint', { accountId: account, subject: ' ', touchpointDate: '2026-12-10 09:30', participants: [{ email: 'a@client.example' }, { email: 'A@client.example ' }, { name: 'No address' }] } as never),
      );
      expect(fieldsOf(touchpoint)).toEqual(['participants[1].email', 'participants[2].email', 'subject, content', 'touchpointDate']);
      expect(touchpoint.message).toContain('subject, content: a touchpoint needs a subject or content (T20); fix: give at least one of them');
      expect(touchpoint.message).toContain('participants[1].email: "a@client.example" is listed twice');
      expect(touchpoint.message).toContain('participants[2].email: missing; fix: give an address');

      const campaign = await refusal(
        hubsync.createHubRecord('campaign_touch', { accountId: 'twelve', campaignName: '', campaignKind: 'weekly', recipientCount: -3, senderEmail: 'marketing', startDate: 'next week' } as never),
      );
      expect(fieldsOf(campaign)).toEqual(['accountId', 'campaignKind', 'campaignName', 'recipientCount', 'senderEmail', 'startDate']);
      expect(campaign.message).toContain(`campaignKind: "weekly" is not one of ongoing, one_time`);
      expect(campaign.message).toContain('recipientCount: -3 is not a whole number, 0 or more');
      expect(campaign.message).toContain('startDate: "next week" is not an ISO 8601 date-time or date');
      expect(await counts()).toEqual(before);
    });

    it('refuses a patch that would break a rule, move the record or change nothing, and leaves the record as it was', async () => {
      const task = await hubsync.createHubRecord('task', { accountId: account, title: 'Keep me' });
      const touchpoint = await hubsync.createHubRecord('touchpoint', { accountId: account, subject: 'Only a subject', participants: [{ email: 'kim@client.example' }] });
      const before = await counts();
      const stamps = [await stamp('tasks', task.id), await stamp('touchpoints', touchpoint.id)];

      const cleared = await refusal(hubsync.updateHubRecord('task', task.id, { title: null, dueDate: '2026-02-30' } as never));
      expect(cleared.message).toMatch(/^Update of task \d+ refused/);
      expect(cleared.message).toContain('title: required: it cannot be cleared; fix: give a text');
      expect(cleared.message).toContain('dueDate: "2026-02-30" is not a date');
      const moved = await refusal(hubsync.updateHubRecord('task', task.id, { accountId: other } as never));
      expect(moved.message).toContain('accountId: a record stays on the account it was created on; fix: create the record on the other account and delete this one');
      expect(fieldsOf(await refusal(hubsync.updateHubRecord('task', task.id, {})))).toEqual(['patch']);
      const emptied = await refusal(hubsync.updateHubRecord('touchpoint', touchpoint.id, { subject: null, participants: [] }));
      expect(fieldsOf(emptied)).toEqual(['subject, content']);

      await expect(hubsync.updateHubRecord('task', 999_999_999, { title: 'x' })).rejects.toMatchObject({ kind: 'not-found', fix: expect.stringContaining('hubsync hub task list') });
      expect(fieldsOf(await refusal(hubsync.getHubRecord('task', -1)))).toEqual(['id']);
      expect(fieldsOf(await refusal(hubsync.listHubRecords('task', { limit: 5000 })))).toEqual(['limit']);

      expect(await counts()).toEqual(before);
      expect([await stamp('tasks', task.id), await stamp('touchpoints', touchpoint.id)]).toEqual(stamps);
      expect(await hubsync.getHubRecord('touchpoint', touchpoint.id)).toEqual(touchpoint);
    });
  });

  describe('through the CLI', () => {
    it('T3: hub task create, update, show, list, delete', async () => {
      const created = await cliJson<{ id: number; assigneeEmail: string; dueDate: string }>([
        'task', 'create', '--account', String(account), '--title', 'Call', '--due', '2026-12-10', '--assignee', 'A@B.example', '--status', 'Not Started', '--priority', 'Normal', '--description', 'Agenda',
      ]);
      expect(created).toMatchObject({ assigneeEmail: 'a@b.example', dueDate: '2026-12-10' });
      const updated = await cliJson<{ status: string; description: string | null; title: string }>(['task', 'update', String(created.id), '--status', 'Completed', '--description', '']);
      expect(updated).toMatchObject({ status: 'Completed', description: null, title: 'Call' });

      const show = await cli(['task', 'show', String(created.id)]);
      expect(show.code).toBe(0);
      expect(show.stdout).toContain(`Task ${created.id} on account ${account}`);
      expect(show.stdout).toMatch(/status:\s+Completed/);
      expect(show.stdout).toMatch(/externalId:\s+\(not synced to a CRM yet\)/);
      const list = await cli(['task', 'list', '--account', String(account)]);
      expect(list.stdout).toMatch(new RegExp(`^${created.id}\\s+${account}\\s+Call\\s+Completed\\s+Normal\\s+2026-12-10\\s+a@b\\.example`, 'm'));

      const deleted = await cli(['task', 'delete', String(created.id)]);
      expect(deleted.stdout).toContain(`Deleted task ${created.id} (account ${account}).`);
      const gone = await cli(['task', 'show', String(created.id)]);
      expect(gone.code).toBe(1);
      expect(gone.stderr).toContain(`Task ${created.id} is not in the hub`);
      expect(gone.stderr).toContain('fix: list the tasks with `hubsync hub task list --account <id>`');
    });

    it('T5, T23: hub touchpoint with --participant, then --no-participants', async () => {
      const created = await cliJson<{ id: number; participants: Array<{ email: string; name: string | null }> }>([
        'touchpoint', 'create', '--account', String(account), '--subject', 'Kick-off', '--date', '2026-12-10T09:30:00Z', '--participant', 'Ann@Client.example:Ann Lee', '--participant', 'raj@client.example',
      ]);
      expect(created.participants).toMatchObject([{ email: 'ann@client.example', name: 'Ann Lee' }, { email: 'raj@client.example', name: null }]);
      const updated = await cliJson<{ participants: unknown[] }>(['touchpoint', 'update', String(created.id), '--no-participants']);
      expect(updated.participants).toEqual([]);
      expect((await cli(['touchpoint', 'delete', String(created.id)])).code).toBe(0);
      expect(await tombstones('touchpoint', created.id)).toEqual([{ account_id: account }]);
    });

    it('T6: hub campaign-touch create, list, delete', async () => {
      const created = await cliJson<{ id: number; recipientCount: number; startDate: string }>([
        'campaign-touch', 'create', '--account', String(other), '--name', 'Spring launch', '--kind', 'ongoing', '--recipients', '120', '--sender', 'news@example.com', '--start', '2026-03-01T08:00:00Z',
      ]);
      expect(created).toMatchObject({ recipientCount: 120, startDate: '2026-03-01T08:00:00.000Z' });
      const list = await cli(['campaign-touch', 'list', '--account', String(other)]);
      expect(list.stdout).toMatch(new RegExp(`^${created.id}\\s+${other}\\s+Spring launch\\s+ongoing\\s+120\\s+news@example\\.com`, 'm'));
      expect((await cli(['campaign-touch', 'delete', String(created.id)])).code).toBe(0);
    });

    it('T20: bad input exits 1 naming each option and its fix, and writes nothing', async () => {
      const before = await counts();
      const task = await cli(['task', 'create', '--account', String(account), '--due', 'tomorrow', '--assignee', 'nope']);
      expect(task.code).toBe(1);
      expect(task.stderr).toContain('New task refused; nothing was written');
      expect(task.stderr).toContain('--title: missing; fix: give a text');
      expect(task.stderr).toContain('--due: "tomorrow" is not a date (YYYY-MM-DD); fix: write the date as YYYY-MM-DD');
      expect(task.stderr).toContain('--assignee: "nope" is not an email address');

      const campaign = await cli(['campaign-touch', 'create', '--account', 'twelve', '--name', 'X', '--kind', 'ongoing', '--recipients', 'many', '--sender', 'x@example.com', '--start', '2026-03-01']);
      expect(campaign.code).toBe(1);
      expect(campaign.stderr).toContain('--account: "twelve" is not a hub ID');
      expect(campaign.stderr).toContain('--recipients: "many" is not a whole number, 0 or more');

      const touchpoint = await cli(['touchpoint', 'create', '--account', String(account), '--participant', 'not-an-address:Someone']);
      expect(touchpoint.code).toBe(1);
      expect(touchpoint.stderr).toContain('--subject, --content: a touchpoint needs a subject or content (T20)');
      expect(touchpoint.stderr).toContain('--participant #1: "not-an-address" is not an email address');
      expect(await counts()).toEqual(before);
    });
  });
});
