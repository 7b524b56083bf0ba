// Salesforce sandbox, upsert by external ID and sObject Collections: per-record results in request order,
// statusCode errors in a 200 response, allOrNone rollback, the 200-record limit, 300 on ambiguous upserts.
import { type SalesforceSandboxHandle } from '../../../sandbox/salesforce';
import { admin, connect, rejection, rest, sortedKeys, startSandbox, unknownId } from './support';

let sandbox: SalesforceSandboxHandle;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 'none' });
  await admin(sandbox, 'POST', '/__admin/schema/fields', { object: 'Task', name: 'Hubsync_External_Id__c', type: 'text', externalId: true, unique: true });
  // An External ID that is not unique: two records may share a value, which makes an upsert ambiguous.
  await admin(sandbox, 'POST', '/__admin/schema/fields', { object: 'Account', name: 'Legacy_Id__c', type: 'text', externalId: true });
});
afterAll(() => sandbox.close());

async function taskCount(where: string): Promise<number> {
  return (await connect(sandbox).query(`SELECT COUNT() FROM Task WHERE ${where}`)).totalSize;
}

describe('Salesforce sandbox: upsert', () => {
  it('inserts with 201 created:true, updates with 200 created:false (API 46+), and 204 before 46', async () => {
    const inserted = await rest(sandbox, 'PATCH', '/sobjects/Task/Hubsync_External_Id__c/hub-1', { Subject: 'First' });
    expect(inserted.status).toBe(201);
    expect(inserted.body).toEqual({ id: expect.stringMatching(/^00T/), success: true, errors: [], created: true });
    const updated = await rest(sandbox, 'PATCH', '/sobjects/Task/Hubsync_External_Id__c/hub-1', { Subject: 'Second' });
    expect(updated).toMatchObject({ status: 200, body: { id: (inserted.body as { id: string }).id, success: true, errors: [], created: false } });
    const old = await fetch(`${sandbox.url}/services/data/v45.0/sobjects/Task/Hubsync_External_Id__c/hub-1`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${sandbox.accessToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ Subject: 'Third' }),
    });
    expect(old.status).toBe(204);

    const conn = connect(sandbox);
    const viaJsforce = await conn.sobject('Task').upsert({ Hubsync_External_Id__c: 'hub 2 with spaces', Subject: 'jsforce' }, 'Hubsync_External_Id__c');
    expect(viaJsforce).toMatchObject({ success: true, created: true });
    const again = await conn.sobject('Task').upsert({ Hubsync_External_Id__c: 'hub 2 with spaces', Subject: 'jsforce 2' }, 'Hubsync_External_Id__c');
    expect(again).toMatchObject({ id: viaJsforce.id, success: true, created: false });
    const row = await conn.sobject('Task').retrieve(viaJsforce.id ?? '');
    expect(row).toMatchObject({ Subject: 'jsforce 2', Hubsync_External_Id__c: 'hub 2 with spaces' });
  });

  it('retrieves and deletes by external ID: 200 with ?fields=, 204, then 404; 300 when several match', async () => {
    await rest(sandbox, 'PATCH', '/sobjects/Task/Hubsync_External_Id__c/by-ext-1', { Subject: 'Find me by external ID' });
    const found = await rest(sandbox, 'GET', '/sobjects/Task/Hubsync_External_Id__c/by-ext-1?fields=Subject');
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ attributes: { type: 'Task' }, Subject: 'Find me by external ID' });
    expect((await rest(sandbox, 'DELETE', '/sobjects/Task/Hubsync_External_Id__c/by-ext-1')).status).toBe(204);
    const gone = await rest(sandbox, 'GET', '/sobjects/Task/Hubsync_External_Id__c/by-ext-1');
    expect(gone).toMatchObject({ status: 404, body: [{ errorCode: 'NOT_FOUND' }] });
    await rest(sandbox, 'POST', '/sobjects/Account', { Name: 'Twin A', Legacy_Id__c: 'twin-get' });
    await rest(sandbox, 'POST', '/sobjects/Account', { Name: 'Twin B', Legacy_Id__c: 'twin-get' });
    expect((await rest(sandbox, 'GET', '/sobjects/Account/Legacy_Id__c/twin-get')).status).toBe(300);
    expect((await rest(sandbox, 'DELETE', '/sobjects/Account/Legacy_Id__c/twin-get')).status).toBe(300);
  });

  it('answers 300 with the matching records when the external ID matches several (jsforce: MULTIPLE_CHOICES)', async () => {
    const conn = connect(sandbox);
    const a = await conn.sobject('Account').create({ Name: 'Twin A', Legacy_Id__c: 'L-1' });
    const b = await conn.sobject('Account').create({ Name: 'Twin B', Legacy_Id__c: 'L-1' });
    const raw = await rest(sandbox, 'PATCH', '/sobjects/Account/Legacy_Id__c/L-1', { Name: 'Which?' });
    expect(raw.status).toBe(300);
    expect(raw.body).toEqual([`/services/data/v62.0/sobjects/Account/${a.id}`, `/services/data/v62.0/sobjects/Account/${b.id}`]);
    const err = await rejection(conn.sobject('Account').upsert({ Legacy_Id__c: 'L-1', Name: 'Which?' }, 'Legacy_Id__c'));
    expect(err.errorCode).toBe('MULTIPLE_CHOICES');
    expect((await conn.sobject('Account').retrieve(a.id ?? '')) as unknown).toMatchObject({ Name: 'Twin A' });
  });

  it('upserts by Id and refuses a field that is not an External ID', async () => {
    const conn = connect(sandbox);
    const { id } = await conn.sobject('Account').create({ Name: 'By Id' });
    const raw = await rest(sandbox, 'PATCH', `/sobjects/Account/Id/${id}`, { Name: 'By Id 2' });
    expect(raw).toMatchObject({ status: 200, body: { id, created: false } });
    const created = await rest(sandbox, 'POST', '/sobjects/Account/Id', { Name: 'Created through /Id' });
    expect(created).toMatchObject({ status: 201, body: { success: true, created: true } });
    const notExternal = await rest(sandbox, 'PATCH', '/sobjects/Account/Name/Acme', { Industry: 'Energy' });
    expect(notExternal).toMatchObject({ status: 404, body: [{ errorCode: 'NOT_FOUND', message: 'Provided external ID field does not exist or is not accessible: Name' }] });
  });

  it('upserts a collection: created flags per record, a duplicate value in the batch fails only those records', async () => {
    const conn = connect(sandbox);
    await conn.sobject('Task').create({ Subject: 'Existing', Hubsync_External_Id__c: 'c-1' });
    const results = await conn.sobject('Task').upsert(
      [
        { Hubsync_External_Id__c: 'c-1', Subject: 'Existing updated' },
        { Hubsync_External_Id__c: 'c-2', Subject: 'New' },
        { Hubsync_External_Id__c: 'c-3', Subject: 'Twice' },
        { Hubsync_External_Id__c: 'c-3', Subject: 'Twice' },
      ],
      'Hubsync_External_Id__c',
    );
    expect(results.map((r) => [r.success, 'created' in r ? r.created : undefined])).toEqual([
      [true, false],
      [true, true],
      [false, false],
      [false, false],
    ]);
    expect((results[2] as unknown as { errors: Array<{ statusCode: string }> }).errors[0]?.statusCode).toBe('DUPLICATE_EXTERNAL_ID');
    expect(await taskCount("Hubsync_External_Id__c = 'c-3'")).toBe(0);
    expect(await taskCount("Subject = 'Existing updated'")).toBe(1);
  });
});

describe('Salesforce sandbox: sObject Collections', () => {
  it('creates up to 200 records in one call, results in request order', async () => {
    const conn = connect(sandbox);
    const records = Array.from({ length: 200 }, (_, i) => ({ Subject: `Bulk ${i}`, Hubsync_External_Id__c: `bulk-${i}` }));
    const results = await conn.sobject('Task').create(records);
    expect(results).toHaveLength(200);
    expect(results.every((r) => r.success)).toBe(true);
    const rows = await conn.query<{ Id: string; Subject: string }>(`SELECT Id, Subject FROM Task WHERE Subject LIKE 'Bulk %'`, { autoFetch: true });
    const byId = new Map(rows.records.map((r) => [r.Id, r.Subject]));
    expect(results.map((r) => byId.get(r.id ?? ''))).toEqual(records.map((r) => r.Subject));
  });

  it('refuses 201 records with 400 EXCEEDED_ID_LIMIT and writes nothing', async () => {
    const conn = connect(sandbox);
    const before = await taskCount("Subject LIKE 'Too many %'");
    const records = Array.from({ length: 201 }, (_, i) => ({ Subject: `Too many ${i}` }));
    const err = await rejection(conn.sobject('Task').create(records));
    expect(err).toMatchObject({ errorCode: 'EXCEEDED_ID_LIMIT', message: 'record limit reached. cannot submit more than 200 records into this call' });
    expect(await taskCount("Subject LIKE 'Too many %'")).toBe(before);
    const raw = await rest(sandbox, 'POST', '/composite/sobjects', { allOrNone: false, records: records.map((r) => ({ attributes: { type: 'Task' }, ...r })) });
    expect(raw.status).toBe(400);
    const del = await rest(sandbox, 'DELETE', `/composite/sobjects?ids=${Array.from({ length: 201 }, () => unknownId('00T')).join(',')}`);
    expect(del).toMatchObject({ status: 400, body: [{ errorCode: 'EXCEEDED_ID_LIMIT' }] });
  });

  it('answers 200 when some records fail: each failure carries statusCode, the others are written', async () => {
    const raw = await rest(sandbox, 'POST', '/composite/sobjects', {
      allOrNone: false,
      records: [
        { attributes: { type: 'Account' }, Name: 'Partial OK 1' },
        { attributes: { type: 'Contact' }, FirstName: 'No last name' },
        { attributes: { type: 'Account' }, Name: 'Partial OK 2' },
      ],
    });
    expect(raw.status).toBe(200);
    const results = raw.body as Array<Record<string, unknown>>;
    expect(results[0]).toEqual({ id: expect.stringMatching(/^001/), success: true, errors: [] });
    // The shape of Salesforce's documented failure entry: no id, statusCode (not errorCode), message, fields.
    expect(results[1]).toEqual({ success: false, errors: [{ statusCode: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [LastName]', fields: ['LastName'] }] });
    expect(results[2]).toMatchObject({ success: true });
    const written = await connect(sandbox).query("SELECT Id FROM Account WHERE Name LIKE 'Partial OK%'");
    expect(written.totalSize).toBe(2);
  });

  it('rolls everything back with allOrNone: good records report ALL_OR_NONE_OPERATION_ROLLED_BACK', async () => {
    const conn = connect(sandbox);
    const existing = await conn.sobject('Account').create({ Name: 'AON existing' });
    const results = await conn.sobject('Account').create([{ Name: 'AON 1' }, { Industry: 'No name' }, { Name: 'AON 2' }], { allOrNone: true });
    expect(results.map((r) => r.success)).toEqual([false, false, false]);
    const codes = results.map((r) => (r as unknown as { errors: Array<{ statusCode: string; message: string }> }).errors[0]);
    expect(codes[0]).toEqual({ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK', message: 'Record rolled back because not all records were valid and the request was using AllOrNone header', fields: [] });
    expect(codes[1]?.statusCode).toBe('REQUIRED_FIELD_MISSING');
    expect((await conn.query("SELECT Id FROM Account WHERE Name LIKE 'AON %'")).totalSize).toBe(1);

    const updates = await conn.sobject('Account').update([{ Id: existing.id ?? '', Name: 'AON renamed' }, { Id: existing.id ?? '', Name: 'x'.repeat(300) }], { allOrNone: true });
    expect(updates.map((r) => r.success)).toEqual([false, false]);
    expect((await conn.sobject('Account').retrieve(existing.id ?? '')) as unknown).toMatchObject({ Name: 'AON existing' });
  });

  it('updates and deletes collections; unknown IDs are "entity is deleted", malformed ones MALFORMED_ID', async () => {
    const conn = connect(sandbox);
    const created = await conn.sobject('Account').create([{ Name: 'Col 1' }, { Name: 'Col 2' }]);
    const ids = created.map((r) => r.id ?? '');
    const updated = await conn.sobject('Account').update(ids.map((Id, i) => ({ Id, Industry: i === 0 ? 'Energy' : 'Media' })));
    expect(updated).toEqual(ids.map((id) => ({ id, success: true, errors: [] })));
    const missing = unknownId('001');
    const raw = await rest(sandbox, 'DELETE', `/composite/sobjects?ids=${ids[0]},${missing},nonsense`);
    expect(raw.status).toBe(200);
    expect(raw.body).toEqual([
      { id: ids[0], success: true, errors: [] },
      { id: missing, success: false, errors: [{ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }] },
      { id: 'nonsense', success: false, errors: [{ statusCode: 'MALFORMED_ID', message: 'malformed id nonsense', fields: [] }] },
    ]);
    const again = await conn.sobject('Account').destroy([ids[0] ?? '', ids[1] ?? '']);
    expect(again.map((r) => r.success)).toEqual([false, true]);
  });

  it('retrieves a collection: records in ID order with the requested fields, null for misses', async () => {
    const conn = connect(sandbox);
    const [a, b] = await conn.sobject('Account').create([{ Name: 'R1', Industry: 'Energy' }, { Name: 'R2' }]);
    const rows = await conn.sobject('Account').retrieve([b?.id ?? '', unknownId('001'), a?.id ?? ''], { fields: ['Name', 'Industry'] });
    expect(rows).toEqual([
      { attributes: { type: 'Account', url: `/services/data/v62.0/sobjects/Account/${b?.id}` }, Name: 'R2', Industry: null },
      null,
      { attributes: { type: 'Account', url: `/services/data/v62.0/sobjects/Account/${a?.id}` }, Name: 'R1', Industry: 'Energy' },
    ]);
    const all = await conn.sobject('Account').retrieve([a?.id ?? '']);
    expect(sortedKeys(all[0])).toEqual(expect.arrayContaining(['Id', 'Name', 'OwnerId', 'SystemModstamp', 'Legacy_Id__c']));
  });

  it('refuses an unknown field in any record of a collection with 400 INVALID_FIELD, writing nothing', async () => {
    const raw = await rest(sandbox, 'POST', '/composite/sobjects', { records: [{ attributes: { type: 'Account' }, Name: 'Fine' }, { attributes: { type: 'Account' }, Name: 'Bad', Bogus__c: 1 }] });
    expect(raw).toMatchObject({ status: 400, body: [{ errorCode: 'INVALID_FIELD', message: "No such column 'Bogus__c' on sobject of type Account" }] });
    expect((await connect(sandbox).query("SELECT Id FROM Account WHERE Name = 'Fine'")).totalSize).toBe(0);
  });
});
