// Dynamics sandbox: OData queries through dynamics-web-api: $select/$filter/$orderby/$top/$count/$expand,
// alternate keys, annotations, datetimes without milliseconds, paging past 5,000 rows with nextLinks, and the
// client's automatic $batch for a GET longer than 2,000 characters.
import { clientFor, failure, GUID, sandboxForFile } from './support';

const { sandbox, api, admin } = sandboxForFile();

interface Account {
  accountid: string;
  name: string;
  accountnumber: string;
  modifiedon: Date;
  '@odata.etag': string;
  _ownerid_value: string;
  [k: string]: unknown;
}

describe('Dynamics sandbox: queries', () => {
  it('selects, filters, orders, limits and counts', async () => {
    const res = await api().retrieveMultiple<Account>({ collection: 'accounts', select: ['name', 'accountnumber', 'numberofemployees'], filter: "numberofemployees gt 100 and (startswith(name, 'c') or contains(name, 'labs'))", orderBy: ['name desc'], top: 3, count: true });
    const all = (await api().retrieveAll<Account>({ collection: 'accounts', select: ['name', 'numberofemployees'] })).value;
    const expected = all.filter((a) => (a['numberofemployees'] as number) > 100 && (a.name.toLowerCase().startsWith('c') || a.name.toLowerCase().includes('labs'))).map((a) => a.name).sort().reverse();
    expect(expected.length).toBeGreaterThan(0);
    expect(res.value.map((a) => a.name)).toEqual(expected.slice(0, 3));
    expect(res.oDataCount).toBe(expected.length);
    for (const row of res.value) {
      expect(Object.keys(row).filter((k) => !k.startsWith('@') && !k.startsWith('oData')).sort()).toEqual(['accountid', 'accountnumber', 'name', 'numberofemployees']);
      expect(row['@odata.etag']).toMatch(/^W\/"\d+"$/);
      expect(row.accountid).toMatch(GUID);
    }
  });

  it('serialises datetimes without milliseconds (the client turns them into Dates) and etags from versionnumber', async () => {
    const raw = await fetch(`${sandbox().url}/api/data/v9.2/accounts?$select=createdon,modifiedon,versionnumber&$top=1`, { headers: { authorization: `Bearer ${await tokenOf()}` } });
    const text = await raw.text();
    expect(text).toMatch(/"modifiedon":"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"/);
    const row = (JSON.parse(text) as { value: Record<string, unknown>[] }).value[0] as Record<string, unknown>;
    expect(row['@odata.etag']).toBe(`W/"${String(row['versionnumber'])}"`);
    const viaClient = await api().retrieveMultiple<Account>({ collection: 'accounts', select: ['modifiedon'], top: 1 });
    expect(viaClient.value[0]?.modifiedon).toBeInstanceOf(Date);
    expect((viaClient.value[0]?.modifiedon as Date).getTime()).toBeLessThan(Date.now());
  });

  it('filters by lookup, null, GUID, datetime and boolean literals', async () => {
    const users = (await api().retrieveMultiple({ collection: 'systemusers', select: ['fullname', 'internalemailaddress', 'isdisabled'], filter: "endswith(internalemailaddress, '@hubsync.sandbox') and isdisabled eq false" })).value;
    expect(users.map((u: { fullname: string }) => u.fullname).sort()).toEqual(['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Katherine Johnson']);
    const ada = users.find((u: { fullname: string }) => u.fullname === 'Ada Lovelace') as { systemuserid: string };
    const owned = await api().retrieveMultiple<Account>({ collection: 'accounts', select: ['_ownerid_value'], filter: `_ownerid_value eq ${ada.systemuserid}` });
    expect(owned.value.every((a) => a._ownerid_value === ada.systemuserid)).toBe(true);
    const orphans = await api().retrieveMultiple({ collection: 'accounts', select: ['name'], filter: '_parentaccountid_value ne null' });
    expect(orphans.value).toHaveLength(5);
    const future = await api().retrieveMultiple({ collection: 'accounts', select: ['name'], filter: `modifiedon gt ${new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z')}` });
    expect(future.value).toEqual([]);
  });

  it('retrieves one row by ID and by the accountnumber alternate key, with $expand of the owning user', async () => {
    const viaKey = await api().retrieve<Account & { owninguser: unknown }>({ collection: 'accounts', key: "accountnumber='A-1003'", select: ['name', 'accountnumber'], expand: [{ property: 'owninguser', select: ['internalemailaddress'] }] });
    expect(viaKey).toMatchObject({ accountnumber: 'A-1003', accountid: expect.stringMatching(GUID), owninguser: { internalemailaddress: expect.stringMatching(/@hubsync\.sandbox$/), systemuserid: expect.stringMatching(GUID) } });
    // `ownerid` is typed principal (a user or a team), whose only property is its key.
    expect(await failure(api().retrieve({ collection: 'accounts', key: viaKey.accountid, select: ['name'], expand: [{ property: 'ownerid', select: ['internalemailaddress'] }] }))).toMatchObject({
      status: 400,
      message: "Could not find a property named 'internalemailaddress' on type 'Microsoft.Dynamics.CRM.principal'.",
    });
    const byId = await api().retrieve<Account>({ collection: 'accounts', key: viaKey.accountid, select: ['accountnumber'] });
    expect(byId.accountnumber).toBe('A-1003');
    expect(await failure(api().retrieve({ collection: 'accounts', key: "accountnumber='NOPE'" }))).toMatchObject({ status: 404 });
    const contact = await api().retrieveMultiple({ collection: 'contacts', select: ['fullname', '_parentcustomerid_value'], expand: [{ property: 'parentcustomerid_account', select: ['name'] }], top: 1 });
    expect(contact.value[0]).toMatchObject({ fullname: expect.stringMatching(/^\S+ \S+$/), parentcustomerid_account: { name: expect.any(String), accountid: contact.value[0]._parentcustomerid_value } });
  });

  it('adds formatted values and lookup annotations when asked, and reads multi-select choices as comma-separated values', async () => {
    const res = await api().retrieveMultiple<Account>({ collection: 'accounts', select: ['industrycode', 'hubsync_tier', 'hubsync_products', '_ownerid_value', 'revenue', 'statecode'], filter: "accountnumber eq 'A-1001'", includeAnnotations: '*' });
    const row = res.value[0] as Account;
    expect(row['hubsync_products']).toMatch(/^1000000\d\d(,1000000\d\d)*$/);
    expect(row['hubsync_tier_Formatted']).toMatch(/^Tier [123]$/);
    expect(row['industrycode_Formatted']).toEqual(expect.any(String));
    expect(row['statecode_Formatted']).toBe('Active');
    expect(row['revenue_Formatted']).toMatch(/^\$[\d,]+\.00$/);
    expect(row['_ownerid_value_LogicalName']).toBe('systemuser');
    expect(row['_ownerid_value_NavigationProperty']).toBe('ownerid');
    expect(row['_ownerid_value_Formatted']).toMatch(/^\w+ \w+$/);
    expect(String(row['hubsync_products_Formatted']).split('; ').length).toBe(String(row['hubsync_products']).split(',').length);
    const plain = await api().retrieveMultiple<Account>({ collection: 'accounts', select: ['hubsync_tier'], top: 1 });
    expect(Object.keys(plain.value[0] as object).some((k) => k.includes('@OData.Community'))).toBe(false);
  });

  it('pages past 5,000 rows with nextLinks under the serverUrl (retrieveAll and page by page), capping @odata.count at 5,000', async () => {
    const generated = await admin<{ created: number; ms: number }>('POST', '/__admin/generate', { count: 20_000 });
    expect(generated.created).toBe(20_000);
    // About 0.3 s on a quiet machine; the bound leaves room for a loaded CI box running two suites at once.
    expect(generated.ms).toBeLessThan(3000);
    const all = await api().retrieveAll<Account>({ collection: 'accounts', select: ['accountnumber'] });
    expect(all.value).toHaveLength(20_025);
    expect(new Set(all.value.map((a) => a.accountid)).size).toBe(20_025);

    const first = await api().retrieveMultiple<Account>({ collection: 'accounts', select: ['name'], count: true, includeAnnotations: 'Microsoft.Dynamics.CRM.*' });
    expect(first.value).toHaveLength(5000);
    expect(first.oDataCount).toBe(5000);
    expect(first['@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded' as keyof typeof first]).toBe(true);
    expect(first.oDataNextLink).toMatch(new RegExp(`^${sandbox().url.replace(/[.]/g, '\\.')}/api/data/v9\\.2/accounts\\?.*\\$skiptoken=`));

    const paged = clientFor(sandbox(), { maxPageSize: 7000 });
    const page1 = await paged.retrieveMultiple<Account>({ collection: 'accounts', select: ['name'], filter: "startswith(accountnumber, 'G')", maxPageSize: 6000 });
    expect(page1.value).toHaveLength(5000);
    const ids = page1.value.map((a) => a.accountid);
    let link = page1.oDataNextLink;
    let pages = 1;
    while (link) {
      const next = await paged.retrieveMultiple<Account>({ collection: 'accounts', select: ['name'], maxPageSize: 6000 }, link);
      ids.push(...next.value.map((a) => a.accountid));
      link = next.oDataNextLink;
      pages++;
    }
    expect(pages).toBe(4);
    expect(new Set(ids).size).toBe(20_000);
  });

  it('applies maxpagesize (Preference-Applied) and ignores $top when both are sent', async () => {
    const res = await fetch(`${sandbox().url}/api/data/v9.2/accounts?$select=name&$top=3`, { headers: { authorization: `Bearer ${await tokenOf()}`, prefer: 'odata.maxpagesize=10' } });
    expect(res.headers.get('preference-applied')).toBe('odata.maxpagesize=10');
    const body = (await res.json()) as { value: unknown[]; '@odata.nextLink'?: string };
    expect(body.value).toHaveLength(10);
    expect(body['@odata.nextLink']).toContain('$skiptoken=');
    const top = await api().retrieveMultiple({ collection: 'accounts', select: ['name'], top: 3 });
    expect(top.value).toHaveLength(3);
    expect(top.oDataNextLink).toBeUndefined();
  });

  it('answers a GET longer than 2,000 characters, which dynamics-web-api sends as $batch', async () => {
    const numbers = Array.from({ length: 120 }, (_, i) => `A-${1001 + i}`);
    const filter = numbers.map((n) => `accountnumber eq '${n}'`).join(' or ');
    expect(filter.length).toBeGreaterThan(2000);
    const res = await api().retrieveMultiple<Account>({ collection: 'accounts', select: ['accountnumber'], filter });
    expect(res.value.map((a) => a.accountnumber).sort()).toEqual(numbers.slice(0, 25).sort());
    const { requests } = await admin<{ requests: { method: string; path: string }[] }>('GET', '/__admin/requests');
    expect(requests.at(-1)).toMatchObject({ method: 'POST', path: '/api/data/v9.2/$batch' });
  });

  it('counts with accounts/$count', async () => {
    await expect(api().count({ collection: 'contacts' })).resolves.toBe(20);
  });
});

async function tokenOf(): Promise<string> {
  const res = await fetch(sandbox().tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sandbox().clientId, client_secret: sandbox().clientSecret, scope: sandbox().scope }) });
  return String(((await res.json()) as Record<string, unknown>)['access_token']);
}
