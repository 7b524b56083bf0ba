// Dynamics sandbox: change tracking through dynamics-web-api: the initial tracked read (paged, deltaLink on the
// last page), deltas with updates, creates and deletes (`$deletedEntity`), paging inside a delta, changes made
// "in the CRM" through the admin API, and the refusals (query options, a table without tracking, an old token).
import { failure, sandboxForFile } from './support';

const { api, admin } = sandboxForFile();

type Item = Record<string, unknown> & { accountid?: string; name?: string; id?: string; reason?: string; '@odata.context'?: string };

async function delta(link: string, maxPageSize?: number): Promise<{ value: Item[]; deltaLink: string; pages: number }> {
  const value: Item[] = [];
  let pages = 0;
  let next: string | undefined = link;
  for (;;) {
    const res: { value: Item[]; oDataNextLink?: string; oDataDeltaLink?: string } = await api().retrieveMultiple<Item>({ collection: 'accounts', ...(maxPageSize ? { maxPageSize } : {}) }, next);
    pages++;
    value.push(...res.value);
    if (res.oDataNextLink) next = res.oDataNextLink;
    else return { value, deltaLink: String(res.oDataDeltaLink), pages };
  }
}

describe('Dynamics sandbox: change tracking', () => {
  it('returns every row then a deltaLink; a delta has updates, creates (latest state, once) and deletes', async () => {
    const initial = await api().retrieveAll<Item>({ collection: 'accounts', select: ['name', 'accountnumber'], trackChanges: true, maxPageSize: 10 });
    expect(initial.value).toHaveLength(25);
    expect(initial.oDataDeltaLink).toMatch(/\/api\/data\/v9\.2\/accounts\?\$select=name,accountnumber&\$deltatoken=\d+%21\d\d%2F\d\d%2F\d{4}%20\d\d%3A\d\d%3A\d\d$/);
    const [a, b, c] = initial.value as [Item, Item, Item];

    await api().update({ collection: 'accounts', key: String(a.accountid), data: { name: 'Renamed once' } });
    await api().update({ collection: 'accounts', key: String(a.accountid), data: { name: 'Renamed twice' } });
    const created = String(await api().create({ collection: 'accounts', data: { name: 'Newcomer' } }));
    await api().deleteRecord({ collection: 'accounts', key: String(b.accountid) });
    // A change made "in the CRM" by someone else, at a given time.
    await admin('PATCH', `/__admin/rows/account/${String(c.accountid)}`, { values: { name: 'Changed in CRM' }, at: '2024-05-01T10:00:00Z' });

    const d = await delta(String(initial.oDataDeltaLink));
    expect(d.value.filter((i) => i.accountid).map((i) => [i.accountid, i.name])).toEqual([
      [a.accountid, 'Renamed twice'],
      [created, 'Newcomer'],
      [c.accountid, 'Changed in CRM'],
    ]);
    const deleted = d.value.filter((i) => i.reason);
    expect(deleted).toEqual([{ '@odata.context': expect.stringMatching(/\/api\/data\/v9\.2\/\$metadata#accounts\/\$deletedEntity$/), id: b.accountid, reason: 'deleted', oDataContext: expect.any(String) }]);
    expect(Object.keys(d.value[0] as object).filter((k) => !k.startsWith('@') && !k.startsWith('oData')).sort()).toEqual(['accountid', 'accountnumber', 'name']);

    const quiet = await delta(d.deltaLink);
    expect(quiet.value).toEqual([]);
    expect(quiet.deltaLink).toMatch(/\$deltatoken=\d+%21/);
  });

  it('pages a delta larger than the page size with nextLinks and ends with a new deltaLink', async () => {
    const initial = await api().retrieveAll<Item>({ collection: 'accounts', select: ['name'], trackChanges: true });
    await admin('POST', '/__admin/generate', { count: 12 });
    const rows = initial.value.slice(0, 3);
    for (const r of rows) await admin('DELETE', `/__admin/rows/account/${String(r.accountid)}`);
    const d = await delta(String(initial.oDataDeltaLink), 5);
    expect(d.pages).toBe(3);
    expect(d.value.filter((i) => i.accountid)).toHaveLength(12);
    expect(d.value.slice(-3).map((i) => i.id)).toEqual(rows.map((r) => r.accountid));
    expect(new Set(d.value.map((i) => i.accountid ?? i.id)).size).toBe(15);
  });

  it('refuses $filter/$orderby/$top/$expand with track-changes, a table without change tracking, and an expired token', async () => {
    for (const extra of [{ filter: "name eq 'x'" }, { orderBy: ['name'] }, { top: 2 }]) {
      const err = await failure(api().retrieveMultiple({ collection: 'accounts', select: ['name'], trackChanges: true, ...extra }));
      expect(err).toMatchObject({ status: 400, message: expect.stringMatching(/^The "\$(filter|orderby|top)" query parameter isn't supported when Change Tracking is enabled\.$/) });
    }
    expect(await failure(api().retrieveMultiple({ collection: 'systemusers', select: ['fullname'], trackChanges: true }))).toMatchObject({ status: 400, message: "Change tracking is not enabled for the entity 'systemuser'." });
    await admin('POST', '/__admin/change-tracking', { table: 'systemuser', enabled: true });
    await expect(api().retrieveAll({ collection: 'systemusers', select: ['fullname'], trackChanges: true })).resolves.toMatchObject({ oDataDeltaLink: expect.stringContaining('$deltatoken=') });

    const initial = await api().retrieveAll<Item>({ collection: 'accounts', select: ['name'], trackChanges: true });
    await admin('POST', '/__admin/clock', { advanceSeconds: 8 * 86_400 });
    expect(await failure(delta(String(initial.oDataDeltaLink)))).toMatchObject({ status: 400, code: '0x80044352', message: 'Version stamp associated with the client has expired. Please perform a full sync.' });
  });
});
