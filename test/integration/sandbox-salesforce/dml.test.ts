// Salesforce sandbox, single-record DML: status codes and bodies, platform-derived fields, validation errors
// as Salesforce reports them, and audit fields.
import { type SalesforceSandboxHandle } from '../../../sandbox/salesforce';
import { DEMO_CUSTOM_FIELDS } from '../../../sandbox/salesforce/demo-data';
import { admin, connect, rejection, rest, sortedKeys, startSandbox, unknownId } from './support';

let sandbox: SalesforceSandboxHandle;
let accountId: string;
let contactId: string;
let otherAccountId: string;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 'none' });
  const conn = connect(sandbox);
  accountId = (await conn.sobject('Account').create({ Name: 'Acme' })).id ?? '';
  otherAccountId = (await conn.sobject('Account').create({ Name: 'Globex' })).id ?? '';
  contactId = (await conn.sobject('Contact').create({ LastName: 'Nguyen', FirstName: 'Ada', AccountId: otherAccountId })).id ?? '';
});
afterAll(() => sandbox.close());

interface TaskRecord {
  Id: string;
  AccountId: string | null;
  IsClosed: boolean;
  IsHighPriority: boolean;
  Status: string;
  Priority: string;
  OwnerId: string;
  CreatedById: string;
  LastModifiedById: string;
  CreatedDate: string;
  LastModifiedDate: string;
  SystemModstamp: string;
  CompletedDateTime: string | null;
}

describe('Salesforce sandbox: single-record DML', () => {
  it('creates with 201 {id, success, errors}, updates and deletes with 204, as the REST API documents', async () => {
    const created = await rest(sandbox, 'POST', '/sobjects/Account', { Name: 'Initech' });
    expect(created.status).toBe(201);
    expect(sortedKeys(created.body)).toEqual(['errors', 'id', 'success']);
    const { id } = created.body as { id: string };
    expect(id).toMatch(/^001[0-9A-Za-z]{15}$/);

    const updated = await rest(sandbox, 'PATCH', `/sobjects/Account/${id}`, { Industry: 'Technology' });
    expect(updated.status).toBe(204);
    expect(updated.body).toBeUndefined();
    const deleted = await rest(sandbox, 'DELETE', `/sobjects/Account/${id}`);
    expect(deleted.status).toBe(204);

    // jsforce turns the 204s into its synthetic SaveResult.
    const conn = connect(sandbox);
    const again = await conn.sobject('Account').create({ Name: 'Hooli' });
    expect(again).toEqual({ id: expect.stringMatching(/^001/), success: true, errors: [] });
    await expect(conn.sobject('Account').update({ Id: again.id ?? '', Name: 'Hooli XYZ' })).resolves.toEqual({ id: again.id, success: true, errors: [] });
    const record = await conn.sobject('Account').retrieve(again.id ?? '');
    expect(record).toMatchObject({ attributes: { type: 'Account', url: `/services/data/v62.0/sobjects/Account/${again.id}` }, Id: again.id, Name: 'Hooli XYZ', IsDeleted: false });
    await expect(conn.sobject('Account').destroy(again.id ?? '')).resolves.toEqual({ id: again.id, success: true, errors: [] });
  });

  it('sets audit fields, defaults the owner to the running user, and never moves SystemModstamp backwards (whole seconds)', async () => {
    const conn = connect(sandbox);
    await admin(sandbox, 'POST', '/__admin/clock', { frozen: true });
    try {
      const { id } = await conn.sobject('Task').create({ Subject: 'Stamp me' });
      const first = (await conn.sobject('Task').retrieve(id ?? '')) as unknown as TaskRecord;
      expect(first).toMatchObject({ OwnerId: sandbox.credentials.userId, CreatedById: sandbox.credentials.userId, LastModifiedById: sandbox.credentials.userId });
      // Salesforce keeps datetimes to the whole second.
      expect(first.CreatedDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000$/);
      expect(first.SystemModstamp).toMatch(/\.000\+0000$/);
      // The clock stands still, and even goes back: SystemModstamp never moves backwards.
      await conn.sobject('Task').update({ Id: id ?? '', Subject: 'Stamp me again' });
      await admin(sandbox, 'POST', '/__admin/clock', { advanceSeconds: -3600 });
      await conn.sobject('Task').update({ Id: id ?? '', Subject: 'And again' });
      const same = (await conn.sobject('Task').retrieve(id ?? '')) as unknown as TaskRecord;
      expect(same.SystemModstamp).toBe(first.SystemModstamp);
      await admin(sandbox, 'POST', '/__admin/clock', { advanceSeconds: 3605 });
      await conn.sobject('Task').update({ Id: id ?? '', Subject: 'Later' });
      const last = (await conn.sobject('Task').retrieve(id ?? '')) as unknown as TaskRecord;
      const ms = (s: string) => Date.parse(s.replace('+0000', 'Z'));
      expect(ms(last.SystemModstamp) - ms(first.SystemModstamp)).toBe(5000);
      expect(last.CreatedDate).toBe(first.CreatedDate);
    } finally {
      await admin(sandbox, 'POST', '/__admin/clock', { frozen: false, advanceSeconds: -5 });
    }
  });

  it('derives Task.AccountId from an Account WhatId, and from a Contact WhoId otherwise', async () => {
    const conn = connect(sandbox);
    const viaWhat = await conn.sobject('Task').create({ Subject: 'What', WhatId: accountId, WhoId: contactId });
    const viaWho = await conn.sobject('Task').create({ Subject: 'Who', WhoId: contactId });
    const neither = await conn.sobject('Task').create({ Subject: 'Neither' });
    const rows = await conn.query<{ Id: string; AccountId: string | null; Account: { Name: string } | null }>(
      `SELECT Id, AccountId, Account.Name FROM Task WHERE Id IN ('${viaWhat.id}', '${viaWho.id}', '${neither.id}') ORDER BY Subject`,
    );
    expect(rows.records.map((r) => [r.Id, r.AccountId, r.Account?.Name ?? null])).toEqual([
      [neither.id, null, null],
      [viaWhat.id, accountId, 'Acme'],
      [viaWho.id, otherAccountId, 'Globex'],
    ]);
    // Moving the task to another What re-derives it.
    await conn.sobject('Task').update({ Id: viaWho.id ?? '', WhatId: accountId });
    expect(((await conn.sobject('Task').retrieve(viaWho.id ?? '')) as unknown as TaskRecord).AccountId).toBe(accountId);
  });

  it('defaults Status and Priority and derives IsClosed, IsHighPriority and CompletedDateTime', async () => {
    const conn = connect(sandbox);
    const { id } = await conn.sobject('Task').create({ Subject: 'Defaults' });
    const open = (await conn.sobject('Task').retrieve(id ?? '')) as unknown as TaskRecord;
    expect(open).toMatchObject({ Status: 'Not Started', Priority: 'Normal', IsClosed: false, IsHighPriority: false, CompletedDateTime: null });
    await conn.sobject('Task').update({ Id: id ?? '', Status: 'Completed', Priority: 'High' });
    const closed = (await conn.sobject('Task').retrieve(id ?? '')) as unknown as TaskRecord;
    expect(closed).toMatchObject({ Status: 'Completed', IsClosed: true, IsHighPriority: true, CompletedDateTime: expect.stringMatching(/\+0000$/) });
  });

  it('derives the Event time fields and enforces EndDateTime or DurationInMinutes', async () => {
    const conn = connect(sandbox);
    const { id } = await conn.sobject('Event').create({ Subject: 'QBR', StartDateTime: '2024-05-01T22:30:00.000Z', DurationInMinutes: 120, WhatId: accountId });
    const event = await conn.sobject('Event').retrieve(id ?? '');
    expect(event).toMatchObject({ ActivityDate: '2024-05-01', ActivityDateTime: '2024-05-01T22:30:00.000+0000', EndDateTime: '2024-05-02T00:30:00.000+0000', EndDate: '2024-05-02', AccountId: accountId });

    const missing = await rejection(conn.sobject('Event').create({ Subject: 'No end', StartDateTime: '2024-05-01T10:00:00Z' }));
    expect(missing).toMatchObject({ errorCode: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [DurationInMinutes]' });
    expect((missing.data as { fields: string[] }).fields).toEqual(['DurationInMinutes']);
    const disagree = await rejection(conn.sobject('Event').create({ StartDateTime: '2024-05-01T10:00:00Z', EndDateTime: '2024-05-01T11:00:00Z', DurationInMinutes: 30 }));
    expect(disagree.errorCode).toBe('FIELD_INTEGRITY_EXCEPTION');
    const allDay = await conn.sobject('Event').create({ Subject: 'Offsite', IsAllDayEvent: true, ActivityDate: '2024-06-03' });
    expect(await conn.sobject('Event').retrieve(allDay.id ?? '')).toMatchObject({ DurationInMinutes: 1440, StartDateTime: '2024-06-03T00:00:00.000+0000' });
  });

  it('reports validation errors with Salesforce error codes, messages and fields', async () => {
    const conn = connect(sandbox);
    const required = await rest(sandbox, 'POST', '/sobjects/Contact', { FirstName: 'No last name' });
    expect(required.status).toBe(400);
    expect(required.body).toEqual([{ message: 'Required fields are missing: [LastName]', errorCode: 'REQUIRED_FIELD_MISSING', fields: ['LastName'] }]);

    const readOnly = await rejection(conn.sobject('Task').create({ Subject: 'x', AccountId: accountId, IsClosed: true }));
    expect(readOnly.errorCode).toBe('INVALID_FIELD_FOR_INSERT_UPDATE');
    expect(readOnly.message).toBe('Unable to create/update fields: AccountId, IsClosed. Please check the security settings of this field and verify that it is read/write for your profile or permission set.');

    const unknown = await rest(sandbox, 'POST', '/sobjects/Task', { Subject: 'x', Nope: 1 });
    expect(unknown.body).toEqual([{ message: "No such column 'Nope' on sobject of type Task", errorCode: 'INVALID_FIELD' }]);

    const picklist = await rejection(conn.sobject('Task').create({ Subject: 'x', Status: 'Bogus' }));
    expect(picklist).toMatchObject({ errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', message: 'Status: bad value for restricted picklist field: Bogus' });

    const malformed = await rejection(conn.sobject('Task').create({ Subject: 'x', WhatId: 'not-an-id' }));
    expect(malformed.errorCode).toBe('MALFORMED_ID');
    const dangling = await rejection(conn.sobject('Task').create({ Subject: 'x', WhatId: unknownId('001') }));
    expect(dangling).toMatchObject({ errorCode: 'INVALID_CROSS_REFERENCE_KEY', message: 'invalid cross reference id' });
    const wrongType = await rejection(conn.sobject('Contact').create({ LastName: 'x', AccountId: contactId }));
    expect(wrongType.errorCode).toBe('FIELD_INTEGRITY_EXCEPTION');

    const parse = await rest(sandbox, 'POST', '/sobjects/Account', { Name: 'x', NumberOfEmployees: 'many' });
    expect(parse.status).toBe(400);
    expect((parse.body as Array<{ errorCode: string }>)[0]?.errorCode).toBe('JSON_PARSER_ERROR');
    const tooLong = await rejection(conn.sobject('Account').create({ Name: 'x'.repeat(256) }));
    expect(tooLong.errorCode).toBe('STRING_TOO_LONG');
  });

  it('refuses duplicate unique values with DUPLICATE_VALUE', async () => {
    const conn = connect(sandbox);
    await admin(sandbox, 'POST', '/__admin/schema/fields', { object: 'Account', name: 'Erp_Id__c', type: 'text', externalId: true, unique: true });
    const first = await conn.sobject('Account').create({ Name: 'Unique 1', Erp_Id__c: 'ERP-1' });
    const dup = await rejection(conn.sobject('Account').create({ Name: 'Unique 2', Erp_Id__c: 'erp-1' }));
    expect(dup).toMatchObject({ errorCode: 'DUPLICATE_VALUE', message: `duplicate value found: Erp_Id__c duplicates value on record with id: ${first.id}` });
  });

  it('retrieves with ?fields=, accepts 15-character IDs, and answers unknown, deleted and foreign IDs as Salesforce does', async () => {
    const conn = connect(sandbox);
    const { id } = await conn.sobject('Account').create({ Name: 'Short ID', Industry: 'Energy' });
    const id15 = (id ?? '').slice(0, 15);
    const partial = await conn.sobject('Account').retrieve(id15, { fields: ['Name', 'Industry'] });
    expect(partial).toEqual({ attributes: { type: 'Account', url: `/services/data/v62.0/sobjects/Account/${id}` }, Name: 'Short ID', Industry: 'Energy' });
    await conn.sobject('Account').update({ Id: id15, Name: 'Short ID 2' });
    // The 18-character form is case-insensitive: that is what its suffix is for.
    expect(await conn.sobject('Account').retrieve((id ?? '').toUpperCase(), { fields: ['Name'] })).toMatchObject({ Name: 'Short ID 2' });

    await conn.sobject('Account').destroy(id ?? '');
    expect((await rejection(conn.sobject('Account').retrieve(id ?? ''))).errorCode).toBe('NOT_FOUND');
    const deletedAgain = await rest(sandbox, 'DELETE', `/sobjects/Account/${id}`);
    expect(deletedAgain).toMatchObject({ status: 404, body: [{ message: 'entity is deleted', errorCode: 'ENTITY_IS_DELETED', fields: [] }] });
    expect((await rejection(conn.sobject('Account').update({ Id: id ?? '', Name: 'x' }))).errorCode).toBe('ENTITY_IS_DELETED');

    const unknown = await rest(sandbox, 'GET', `/sobjects/Account/${unknownId('001')}`);
    expect(unknown).toMatchObject({ status: 404, body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }] });
    // A segment that is not an ID of this object reads as an external ID field name.
    const foreign = await rest(sandbox, 'GET', `/sobjects/Account/${contactId}`);
    expect(foreign.body).toEqual([{ errorCode: 'NOT_FOUND', message: `Provided external ID field does not exist or is not accessible: ${contactId}` }]);
    const type = await rest(sandbox, 'GET', '/sobjects/Nope__c/describe');
    expect(type).toMatchObject({ status: 404, body: [{ errorCode: 'NOT_FOUND' }] });
  });

  it('cascades an account delete to its contacts and their activities', async () => {
    const conn = connect(sandbox);
    const account = await conn.sobject('Account').create({ Name: 'Cascade' });
    const contact = await conn.sobject('Contact').create({ LastName: 'Child', AccountId: account.id });
    const task = await conn.sobject('Task').create({ Subject: 'Child task', WhoId: contact.id });
    await conn.sobject('Account').destroy(account.id ?? '');
    const gone = await conn.query<{ Id: string; IsDeleted: boolean }>(`SELECT Id, IsDeleted FROM Task WHERE Id = '${task.id}'`, { scanAll: true });
    expect(gone.records[0]?.IsDeleted).toBe(true);
    expect((await conn.query(`SELECT Id FROM Contact WHERE Id = '${contact.id}'`)).totalSize).toBe(0);
  });

  it('refuses an inactive owner', async () => {
    const conn = connect(sandbox);
    const user = await conn.sobject('User').create({ Username: 'gone@hubsync.sandbox', LastName: 'Gone', Email: 'gone@hubsync.sandbox' });
    await conn.sobject('User').update({ Id: user.id ?? '', IsActive: false });
    const err = await rejection(conn.sobject('Task').create({ Subject: 'x', OwnerId: user.id }));
    expect(err.errorCode).toBe('INACTIVE_OWNER_OR_USER');
  });
});

describe('Salesforce sandbox: formula fields in DML', () => {
  const READ_ONLY = 'Please check the security settings of this field and verify that it is read/write for your profile or permission set.';
  type Banded = { Id: string; Name: string; Health_Score__c: number | null; Health_Band__c: string | null; LastModifiedDate: string; SystemModstamp: string };

  beforeAll(async () => {
    // The demo's own definitions: Health_Score__c and the Health_Band__c formula that reads it.
    for (const name of ['Health_Score__c', 'Health_Band__c']) {
      const spec = DEMO_CUSTOM_FIELDS.Account.find((f) => f.name === name);
      await admin(sandbox, 'POST', '/__admin/schema/fields', { object: 'Account', ...spec });
    }
  });

  async function band(id: string): Promise<Banded | undefined> {
    const result = await connect(sandbox).query<Banded>(`SELECT Id, Name, Health_Score__c, Health_Band__c, LastModifiedDate, SystemModstamp FROM Account WHERE Id = '${id}'`);
    return result.records[0];
  }

  it('computes the formula on create and recomputes it on every update, as SOQL and retrieve read it', async () => {
    const conn = connect(sandbox);
    const { id = '' } = await conn.sobject('Account').create({ Name: 'Banded', Health_Score__c: 80 });
    expect((await conn.sobject('Account').retrieve(id)) as unknown).toMatchObject({ Health_Score__c: 80, Health_Band__c: 'Green' });

    await conn.sobject('Account').update({ Id: id, Health_Score__c: 45 });
    expect(await band(id)).toMatchObject({ Health_Score__c: 45, Health_Band__c: 'Yellow' });
    await conn.sobject('Account').update({ Id: id, Health_Score__c: 39 });
    expect(await band(id)).toMatchObject({ Health_Score__c: 39, Health_Band__c: 'Red' });
    // An update that leaves the score alone keeps the band; clearing the score clears it.
    await conn.sobject('Account').update({ Id: id, Name: 'Banded 2' });
    expect(await band(id)).toMatchObject({ Name: 'Banded 2', Health_Band__c: 'Red' });
    await conn.sobject('Account').update({ Id: id, Health_Score__c: null });
    expect(await band(id)).toMatchObject({ Health_Score__c: null, Health_Band__c: null });

    // sObject Collections write through the same path; the stored value is filterable in SOQL.
    const [updated] = await conn.sobject('Account').update([{ Id: id, Health_Score__c: 70 }]);
    expect(updated).toMatchObject({ success: true });
    const green = await conn.query<{ Id: string }>(`SELECT Id FROM Account WHERE Health_Band__c = 'Green' AND Id = '${id}'`);
    expect(green.records.map((r) => r.Id)).toEqual([id]);
  });

  it('stamps the formula value with the write that caused it, and moves no audit field on its own', async () => {
    const conn = connect(sandbox);
    await admin(sandbox, 'POST', '/__admin/clock', { frozen: true });
    try {
      const { id = '' } = await conn.sobject('Account').create({ Name: 'Stamped', Health_Score__c: 90 });
      const { now } = await admin<{ now: string }>(sandbox, 'POST', '/__admin/clock', { advanceSeconds: 60 });
      await conn.sobject('Account').update({ Id: id, Health_Score__c: 10 });
      const stamp = `${new Date(Math.floor(Date.parse(now) / 1000) * 1000).toISOString().slice(0, -1)}+0000`;
      const after = await band(id);
      expect(after).toMatchObject({ Health_Band__c: 'Red', LastModifiedDate: stamp, SystemModstamp: stamp });
      // Reading it later changes nothing.
      await admin(sandbox, 'POST', '/__admin/clock', { advanceSeconds: 120 });
      expect(await band(id)).toEqual(after);
    } finally {
      await admin(sandbox, 'POST', '/__admin/clock', { frozen: false });
    }
  });

  it('refuses a create or update that sets the formula field with INVALID_FIELD_FOR_INSERT_UPDATE', async () => {
    const conn = connect(sandbox);
    const create = await rejection(conn.sobject('Account').create({ Name: 'Writes the band', Health_Score__c: 10, Health_Band__c: 'Green' }));
    expect(create).toMatchObject({ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', message: `Unable to create/update fields: Health_Band__c. ${READ_ONLY}` });
    expect(create.data).toEqual({ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', message: `Unable to create/update fields: Health_Band__c. ${READ_ONLY}`, fields: ['Health_Band__c'] });
    expect((await conn.query(`SELECT Id FROM Account WHERE Name = 'Writes the band'`)).totalSize).toBe(0);

    const { id = '' } = await conn.sobject('Account').create({ Name: 'Band kept', Health_Score__c: 50 });
    const patch = await rest(sandbox, 'PATCH', `/sobjects/Account/${id}`, { Health_Score__c: 95, Health_Band__c: 'Red' });
    expect(patch).toMatchObject({ status: 400, body: [{ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', message: `Unable to create/update fields: Health_Band__c. ${READ_ONLY}`, fields: ['Health_Band__c'] }] });
    // Even clearing it is a write; the whole update is refused, so the score did not change either.
    const clear = await rejection(conn.sobject('Account').update({ Id: id, Health_Band__c: null }));
    expect(clear.errorCode).toBe('INVALID_FIELD_FOR_INSERT_UPDATE');
    expect(await band(id)).toMatchObject({ Health_Score__c: 50, Health_Band__c: 'Yellow' });

    // In sObject Collections the record fails with the same code as statusCode, the others are written.
    const results = await conn.sobject('Account').create([{ Name: 'Fine', Health_Score__c: 75 }, { Name: 'Not fine', Health_Band__c: 'Green' }]);
    expect(results[0]).toMatchObject({ success: true });
    expect(results[1]).toEqual({ success: false, errors: [{ statusCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', message: `Unable to create/update fields: Health_Band__c. ${READ_ONLY}`, fields: ['Health_Band__c'] }] });
  });
});
