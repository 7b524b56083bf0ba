// Dynamics sandbox: writes through dynamics-web-api: create (204 + OData-EntityId, 201 with return=representation),
// update with If-Match * and etags (412), upsert and If-None-Match, delete, @odata.bind lookups, option-set
// validation, multi-select choices, read-only columns, version and modifiedon bumps, and $batch change sets.
import { failure, GUID, sandboxForFile } from './support';

const { sandbox, api, admin } = sandboxForFile();

type Row = Record<string, unknown> & { '@odata.etag': string; versionnumber: number; modifiedon: Date; name?: string };

const ownerId = async () => ((await api().retrieveMultiple({ collection: 'systemusers', select: ['systemuserid'], filter: "internalemailaddress eq 'grace@hubsync.sandbox'" })).value[0] as { systemuserid: string }).systemuserid;

describe('Dynamics sandbox: writes', () => {
  it('creates a row: the client gets the new ID from OData-EntityId; return=representation gives the row', async () => {
    const owner = await ownerId();
    const id = await api().create({ collection: 'accounts', data: { name: 'Fresh', accountnumber: 'N-1', hubsync_tier: 100000002, hubsync_products: '100000004,100000000', 'ownerid@odata.bind': `/systemusers(${owner})` } });
    expect(id).toMatch(GUID);
    const row = await api().retrieve<Row>({ collection: 'accounts', key: String(id), select: ['name', 'hubsync_tier', 'hubsync_products', '_ownerid_value', 'createdon', 'modifiedon', 'versionnumber', 'statecode', 'statuscode', '_createdby_value'] });
    expect(row).toMatchObject({ name: 'Fresh', hubsync_tier: 100000002, hubsync_products: '100000004,100000000', _ownerid_value: owner, statecode: 0, statuscode: 1, _createdby_value: sandbox().appUserId });
    expect(row['@odata.etag']).toBe(`W/"${row.versionnumber}"`);

    const full = await api().create<Record<string, unknown>, Row>({ collection: 'accounts', data: { name: 'Represented' }, returnRepresentation: true, select: ['name', '_ownerid_value'] });
    expect(full).toMatchObject({ name: 'Represented', accountid: expect.stringMatching(GUID), _ownerid_value: sandbox().appUserId, '@odata.etag': expect.stringMatching(/^W\/"\d+"$/) });
  });

  it('answers the raw create with 204 and OData-EntityId under the serverUrl', async () => {
    const token = (await (await fetch(sandbox().tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sandbox().clientId, client_secret: sandbox().clientSecret, scope: sandbox().scope }) })).json()) as { access_token: string };
    const res = await fetch(`${sandbox().url}/api/data/v9.2/accounts`, { method: 'POST', headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Raw' }) });
    expect(res.status).toBe(204);
    expect(res.headers.get('odata-entityid')).toMatch(new RegExp(`^${sandbox().url.replace(/[.]/g, '\\.')}/api/data/v9\\.2/accounts\\([0-9a-f-]{36}\\)$`));
  });

  it('updates with If-Match *: 404 when missing; an etag that changed gives 412 0x80060882 (update() returns false)', async () => {
    const id = String(await api().create({ collection: 'accounts', data: { name: 'Before' } }));
    const before = await api().retrieve<Row>({ collection: 'accounts', key: id, select: ['versionnumber', 'modifiedon'] });
    await admin('POST', '/__admin/clock', { advanceSeconds: 90 });
    await expect(api().update({ collection: 'accounts', key: id, data: { name: 'After', modifiedon: '2000-01-01T00:00:00Z', versionnumber: 1 } })).resolves.toBe(true);
    const after = await api().retrieve<Row>({ collection: 'accounts', key: id, select: ['name', 'versionnumber', 'modifiedon'] });
    expect(after.name).toBe('After');
    expect(after.versionnumber).toBeGreaterThan(before.versionnumber);
    expect(after.modifiedon.getTime() - before.modifiedon.getTime()).toBeGreaterThanOrEqual(90_000);
    expect(after.modifiedon.getUTCMilliseconds()).toBe(0);

    await expect(api().update({ collection: 'accounts', key: id, data: { name: 'Stale' }, ifmatch: before['@odata.etag'] })).resolves.toBe(false);
    await expect(api().update({ collection: 'accounts', key: id, data: { name: 'Fresh' }, ifmatch: after['@odata.etag'] })).resolves.toBe(true);
    // deleteRecord() with an etag also turns the 412 into false.
    await expect(api().deleteRecord({ collection: 'accounts', key: id, ifmatch: after['@odata.etag'] })).resolves.toBe(false);

    const missing = '00000000-0000-0000-0000-00000000abcd';
    expect(await failure(api().update({ collection: 'accounts', key: missing, data: { name: 'x' } }))).toMatchObject({ status: 404, code: '0x80040217', message: `account With Id = ${missing} Does Not Exist` });
  });

  it('answers 412 with 0x80060882 to an etag mismatch on the wire', async () => {
    const id = String(await api().create({ collection: 'accounts', data: { name: 'Wire' } }));
    const token = (await (await fetch(sandbox().tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sandbox().clientId, client_secret: sandbox().clientSecret, scope: sandbox().scope }) })).json()) as { access_token: string };
    const res = await fetch(`${sandbox().url}/api/data/v9.2/accounts(${id})`, { method: 'PATCH', headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json', 'if-match': 'W/"1"' }, body: '{"name":"no"}' });
    expect(res.status).toBe(412);
    expect(await res.json()).toEqual({ error: { code: '0x80060882', message: "The version of the existing record doesn't match the RowVersion property provided." } });
  });

  it('upserts by ID and by alternate key; If-None-Match * creates only (upsert() returns null on 412)', async () => {
    const id = '11111111-2222-4333-8444-555555555555';
    await api().upsert({ collection: 'accounts', key: id, data: { name: 'Upserted' } });
    expect((await api().retrieve<Row>({ collection: 'accounts', key: id, select: ['name'] })).name).toBe('Upserted');
    await api().upsert({ collection: 'accounts', key: id, data: { name: 'Upserted again' } });
    expect((await api().retrieve<Row>({ collection: 'accounts', key: id, select: ['name'] })).name).toBe('Upserted again');
    await expect(api().upsert({ collection: 'accounts', key: id, data: { name: 'No' }, ifnonematch: '*' })).resolves.toBeNull();
    await api().upsert({ collection: 'accounts', key: "accountnumber='K-9'", data: { name: 'By key' } });
    const byKey = await api().retrieve<Row>({ collection: 'accounts', key: "accountnumber='K-9'", select: ['name', 'accountnumber'] });
    expect(byKey).toMatchObject({ name: 'By key', accountnumber: 'K-9' });
    expect(await failure(api().create({ collection: 'accounts', data: { name: 'Dup', accountnumber: 'k-9' } }))).toMatchObject({ status: 412 });
  });

  it('deletes: 204, then 404', async () => {
    const id = String(await api().create({ collection: 'accounts', data: { name: 'Doomed' } }));
    await expect(api().deleteRecord({ collection: 'accounts', key: id })).resolves.toBe(true);
    expect(await failure(api().retrieve({ collection: 'accounts', key: id }))).toMatchObject({ status: 404 });
    expect(await failure(api().deleteRecord({ collection: 'accounts', key: id }))).toMatchObject({ status: 404, code: '0x80040217' });
  });

  it('binds lookups with and without the leading slash, refuses a bind to a missing row and a direct _x_value write', async () => {
    const parent = String(await api().create({ collection: 'accounts', data: { name: 'Parent' } }));
    const child = String(await api().create({ collection: 'accounts', data: { name: 'Child', 'parentaccountid@odata.bind': `accounts(${parent})` } }));
    const contact = String(await api().create({ collection: 'contacts', data: { firstname: 'Ada', lastname: 'Byron', fullname: 'ignored', 'parentcustomerid_account@odata.bind': `/accounts(${child})` } }));
    const c = await api().retrieve<Row>({ collection: 'contacts', key: contact, select: ['fullname', '_parentcustomerid_value'], includeAnnotations: 'Microsoft.Dynamics.CRM.lookuplogicalname' });
    expect(c).toMatchObject({ fullname: 'Ada Byron', _parentcustomerid_value: child, _parentcustomerid_value_LogicalName: 'account' });
    expect((await api().retrieve<Row>({ collection: 'accounts', key: child, select: ['_parentaccountid_value'] }))['_parentaccountid_value']).toBe(parent);
    const missing = '00000000-0000-0000-0000-00000000beef';
    expect(await failure(api().create({ collection: 'accounts', data: { name: 'x', 'ownerid@odata.bind': `/systemusers(${missing})` } }))).toMatchObject({ status: 404, code: '0x80040217', message: `systemuser With Id = ${missing} Does Not Exist` });
    expect(await failure(api().create({ collection: 'accounts', data: { name: 'x', _ownerid_value: missing } }))).toMatchObject({ status: 400, code: '0x80048d19' });
    expect(await failure(api().create({ collection: 'accounts', data: { name: 'x', nosuch: 1 } }))).toMatchObject({ status: 400, message: expect.stringMatching(/^The property 'nosuch' does not exist on type 'Microsoft\.Dynamics\.CRM\.account'/) });
  });

  it('validates option-set values and multi-select choices', async () => {
    expect(await failure(api().create({ collection: 'accounts', data: { name: 'x', hubsync_tier: 5 } }))).toMatchObject({ status: 400, message: expect.stringContaining("The value 5 of 'hubsync_tier' on record of type 'account' is outside the valid range. Accepted Values: 100000000,100000001,100000002") });
    expect(await failure(api().create({ collection: 'accounts', data: { name: 'x', hubsync_products: '100000000,7' } }))).toMatchObject({ status: 400, message: expect.stringContaining("'hubsync_products'") });
    expect(await failure(api().create({ collection: 'accounts', data: { name: 'x', industrycode: 'Consulting' } }))).toMatchObject({ status: 400 });
    const id = String(await api().create({ collection: 'accounts', data: { name: 'Multi', hubsync_products: '100000001, 100000003' } }));
    await api().update({ collection: 'accounts', key: id, data: { hubsync_products: null, statecode: 1 } });
    expect(await api().retrieve({ collection: 'accounts', key: id, select: ['hubsync_products', 'statecode', 'statuscode'] })).toMatchObject({ hubsync_products: null, statecode: 1, statuscode: 2 });
  });

  it('refuses writes to systemusers (the application user has no privilege)', async () => {
    expect(await failure(api().create({ collection: 'systemusers', data: { firstname: 'x' } }))).toMatchObject({ status: 403, code: '0x80040220' });
  });

  it('runs a $batch change set atomically: created IDs come back; a failure rolls the change set back', async () => {
    const client = api();
    client.startBatch();
    // In a batch the calls only queue the requests.
    void client.create({ collection: 'accounts', data: { name: 'Batch 1' } });
    void client.create({ collection: 'accounts', data: { name: 'Batch 2' } });
    const results = await client.executeBatch();
    expect(results).toEqual([expect.stringMatching(GUID), expect.stringMatching(GUID)]);

    client.startBatch();
    void client.create({ collection: 'accounts', data: { name: 'Rolled back' } });
    void client.create({ collection: 'accounts', data: { name: 'bad', hubsync_tier: 1 } });
    const failed = await client.executeBatch().catch((e: unknown) => e);
    expect(JSON.stringify(failed)).toContain('outside the valid range');
    const rolled = await client.retrieveMultiple({ collection: 'accounts', select: ['name'], filter: "name eq 'Rolled back'" });
    expect(rolled.value).toEqual([]);
  });
});
