// Salesforce sandbox, metadata: describe and describeGlobal as jsforce reads them, custom fields and objects
// defined through the admin API, the version list and the version's resources.
import { type SalesforceSandboxHandle } from '../../../sandbox/salesforce';
import { DEMO_CUSTOM_FIELDS } from '../../../sandbox/salesforce/demo-data';
import { admin, connect, rest, startSandbox } from './support';

let sandbox: SalesforceSandboxHandle;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 'demo' });
});
afterAll(() => sandbox.close());

interface Field {
  name: string;
  type: string;
  createable: boolean;
  updateable: boolean;
  nillable: boolean;
  defaultedOnCreate: boolean;
  externalId: boolean;
  unique: boolean;
  calculated: boolean;
  calculatedFormula: string | null;
  referenceTo: string[];
  relationshipName: string | null;
  restrictedPicklist: boolean;
  picklistValues: Array<{ value: string; label: string; active: boolean; defaultValue: boolean }>;
}

describe('Salesforce sandbox: metadata', () => {
  it('describes Task as Salesforce does: derived read-only fields, polymorphic lookups, defaulted picklists', async () => {
    const describe = await connect(sandbox).describe('Task');
    // Top-level keys of Salesforce's DescribeSObjectResult example.
    expect(Object.keys(describe)).toEqual(
      expect.arrayContaining(['actionOverrides', 'activateable', 'childRelationships', 'createable', 'custom', 'deletable', 'fields', 'keyPrefix', 'label', 'labelPlural', 'name', 'queryable', 'recordTypeInfos', 'replicateable', 'retrieveable', 'searchable', 'supportedScopes', 'triggerable', 'undeletable', 'updateable', 'urls']),
    );
    expect(describe).toMatchObject({ name: 'Task', keyPrefix: '00T', createable: true, custom: false });
    const fields = new Map((describe.fields as unknown as Field[]).map((f) => [f.name, f]));

    expect(fields.get('AccountId')).toMatchObject({ type: 'reference', createable: false, updateable: false, nillable: true, referenceTo: ['Account'], relationshipName: 'Account' });
    expect(fields.get('IsClosed')).toMatchObject({ type: 'boolean', createable: false, updateable: false });
    expect(fields.get('IsHighPriority')).toMatchObject({ type: 'boolean', createable: false });
    expect(fields.get('WhatId')).toMatchObject({ type: 'reference', createable: true, referenceTo: ['Account', 'Project__c'], relationshipName: 'What' });
    expect(fields.get('WhoId')).toMatchObject({ referenceTo: ['Contact'], relationshipName: 'Who' });
    expect(fields.get('OwnerId')).toMatchObject({ nillable: false, defaultedOnCreate: true, referenceTo: ['Group', 'User'], relationshipName: 'Owner' });
    for (const name of ['CreatedById', 'CreatedDate', 'LastModifiedById', 'LastModifiedDate', 'SystemModstamp', 'IsDeleted']) {
      expect(fields.get(name)).toMatchObject({ createable: false, updateable: false });
    }
    const status = fields.get('Status');
    expect(status).toMatchObject({ type: 'picklist', nillable: false, defaultedOnCreate: true, restrictedPicklist: true });
    expect(status?.picklistValues.map((p) => p.value)).toEqual(['Not Started', 'In Progress', 'Completed', 'Waiting on someone else', 'Deferred']);
    expect(status?.picklistValues.find((p) => p.defaultValue)?.value).toBe('Not Started');
    expect(fields.get('Priority')?.picklistValues.map((p) => p.value)).toEqual(['High', 'Normal', 'Low']);
    expect(fields.get('Hubsync_External_Id__c')).toMatchObject({ type: 'string', externalId: true, unique: true, createable: true });

    // IsClosed comes from the TaskStatus value, queryable as in Salesforce.
    const closed = await connect(sandbox).query<{ ApiName: string }>('SELECT ApiName FROM TaskStatus WHERE IsClosed = true');
    expect(closed.records.map((r) => r.ApiName)).toEqual(['Completed']);
  });

  it('describes Event (types, derived ActivityDate) and Account custom fields', async () => {
    const conn = connect(sandbox);
    const event = new Map(((await conn.describe('Event')).fields as unknown as Field[]).map((f) => [f.name, f]));
    expect(event.get('Type')?.picklistValues.map((p) => p.value)).toEqual(['Email', 'Meeting', 'Call', 'Other']);
    expect(event.get('StartDateTime')).toMatchObject({ type: 'datetime', createable: true });
    expect(event.get('DurationInMinutes')).toMatchObject({ type: 'int' });
    expect(event.get('AccountId')).toMatchObject({ createable: false });
    const account = new Map(((await conn.describe('Account')).fields as unknown as Field[]).map((f) => [f.name, f]));
    expect(account.get('Tier__c')).toMatchObject({ type: 'picklist', restrictedPicklist: true });
    expect(account.get('Products__c')).toMatchObject({ type: 'multipicklist' });
    expect(account.get('Health_Score__c')).toMatchObject({ type: 'double', precision: 3, scale: 0 });
    expect(account.get('CSM_Email__c')).toMatchObject({ type: 'email' });
    expect(account.get('Name')).toMatchObject({ nillable: false, createable: true });
  });

  it('describes the demo formula field Health_Band__c as Salesforce describes a formula: calculated, its formula, read-only', async () => {
    const account = new Map(((await connect(sandbox).describe('Account')).fields as unknown as Field[]).map((f) => [f.name, f]));
    const formula = DEMO_CUSTOM_FIELDS.Account.find((f) => f.name === 'Health_Band__c');
    expect(formula && 'formula' in formula ? formula.formula : undefined).toMatch(/Health_Score__c >= 70/);
    expect(account.get('Health_Band__c')).toMatchObject({
      name: 'Health_Band__c',
      label: 'Health Band',
      type: 'string',
      soapType: 'xsd:string',
      custom: true,
      calculated: true,
      calculatedFormula: formula && 'formula' in formula ? formula.formula : 'missing',
      createable: false,
      updateable: false,
      nillable: true,
      defaultedOnCreate: false,
      autoNumber: false,
      // Not groupable (SOQL's GROUP BY considerations exclude formula fields); filterable and sortable.
      groupable: false,
      filterable: true,
      sortable: true,
      formulaTreatNullNumberAsZero: false,
      length: 1300,
      byteLength: 3900,
      defaultValue: null,
      defaultValueFormula: null,
    });
    // Ordinary fields are not formulas.
    expect(account.get('Health_Score__c')).toMatchObject({ calculated: false, calculatedFormula: null, updateable: true });

    // The demo data is written through the DML path, so every account's band follows its score.
    const rows = await connect(sandbox).query<{ Health_Score__c: number; Health_Band__c: string }>('SELECT Health_Score__c, Health_Band__c FROM Account');
    expect(rows.totalSize).toBe(50);
    for (const r of rows.records) expect(r.Health_Band__c).toBe(r.Health_Score__c >= 70 ? 'Green' : r.Health_Score__c >= 40 ? 'Yellow' : 'Red');
    expect(new Set(rows.records.map((r) => r.Health_Band__c))).toEqual(new Set(['Green', 'Yellow', 'Red']));
  });

  it('defines formula fields through the admin API: return types, decimal places, blank handling, refused formulas', async () => {
    const conn = connect(sandbox);
    const before = await conn.query<{ Id: string; Health_Score__c: number; LastModifiedDate: string; SystemModstamp: string }>('SELECT Id, Health_Score__c, LastModifiedDate, SystemModstamp FROM Account ORDER BY Id');

    const weighted = await admin(sandbox, 'POST', '/__admin/schema/fields', { object: 'Account', name: 'Weighted_Score', type: 'formula', returnType: 'number', scale: 2, formula: 'Health_Score__c / 3', treatBlanksAs: 'zero' });
    expect(weighted).toMatchObject({ name: 'Weighted_Score__c', type: 'double', calculated: true, calculatedFormula: 'Health_Score__c / 3', formulaTreatNullNumberAsZero: true, precision: 18, scale: 2, createable: false, updateable: false, groupable: false });
    const strategicTier = await admin(sandbox, 'POST', '/__admin/schema/fields', { object: 'Account', name: 'Top_Tier__c', type: 'formula', returnType: 'checkbox', formula: 'ISPICKVAL(Tier__c, "Tier 1")' });
    expect(strategicTier).toMatchObject({ type: 'boolean', calculated: true, createable: false, formulaTreatNullNumberAsZero: false });

    // Existing records get the values at once, and no audit field moves for it.
    const after = await conn.query<{ Id: string; Weighted_Score__c: number; Top_Tier__c: boolean; Tier__c: string; LastModifiedDate: string; SystemModstamp: string }>(
      'SELECT Id, Weighted_Score__c, Top_Tier__c, Tier__c, LastModifiedDate, SystemModstamp FROM Account ORDER BY Id',
    );
    expect(after.records.map((r) => [r.Id, r.LastModifiedDate, r.SystemModstamp])).toEqual(before.records.map((r) => [r.Id, r.LastModifiedDate, r.SystemModstamp]));
    after.records.forEach((r, i) => {
      expect(r.Weighted_Score__c).toBe(Math.round(((before.records[i]?.Health_Score__c ?? NaN) / 3) * 100) / 100);
      expect(r.Top_Tier__c).toBe(r.Tier__c === 'Tier 1');
    });

    const refuse = (spec: Record<string, unknown>) => admin(sandbox, 'POST', '/__admin/schema/fields', { object: 'Account', name: 'Bad__c', type: 'formula', ...spec });
    await expect(refuse({ returnType: 'text', formula: 'Nope__c & "x"' })).rejects.toThrow(/Bad__c: invalid formula \(at character 1\): Field Nope__c does not exist on Account/);
    await expect(refuse({ returnType: 'number', formula: 'Name' })).rejects.toThrow(/The formula gives Text, but a number formula must give Number/);
    await expect(refuse({ returnType: 'text', formula: 'Tier__c' })).rejects.toThrow(/wrap it in TEXT\(\)/);
    await expect(refuse({ formula: 'Name' })).rejects.toThrow(/a formula field needs a returnType/);
    await expect(refuse({ returnType: 'text' })).rejects.toThrow(/a formula field needs a formula/);
    await expect(refuse({ returnType: 'text', formula: 'Name', required: true, unique: true })).rejects.toThrow(/required, unique cannot be set on a formula field/);
    await expect(refuse({ returnType: 'date', formula: 'Renewal_Date__c', scale: 2 })).rejects.toThrow(/precision and scale apply to number, currency and percent formulas/);
    await expect(refuse({ returnType: 'spreadsheet', formula: 'Name' })).rejects.toThrow(/invalid request body/);
    await expect(admin(sandbox, 'POST', '/__admin/schema/fields', { object: 'Account', name: 'Plain__c', type: 'text', formula: 'Name' })).rejects.toThrow(/formula: only for fields of type formula/);
    expect(((await conn.describe('Account')).fields as unknown as Field[]).some((f) => f.name === 'Bad__c' || f.name === 'Plain__c')).toBe(false);
  });

  it('lists objects in describeGlobal with the documented envelope', async () => {
    const global = await connect(sandbox).describeGlobal();
    expect(Object.keys(global).sort()).toEqual(['encoding', 'maxBatchSize', 'sobjects']);
    expect(global).toMatchObject({ encoding: 'UTF-8', maxBatchSize: 200 });
    const names = global.sobjects.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['Account', 'Contact', 'Event', 'Task', 'User', 'Project__c']));
    expect(global.sobjects.find((s) => s.name === 'Project__c')).toMatchObject({ custom: true, keyPrefix: 'a0x' });
  });

  it('reflects custom fields and objects defined through the admin API, and accepts writes to them', async () => {
    await admin(sandbox, 'POST', '/__admin/schema/objects', {
      name: 'Renewal__c',
      label: 'Renewal',
      fields: [
        { name: 'Amount__c', type: 'currency', precision: 12, scale: 2 },
        { name: 'Closed__c', type: 'checkbox' },
        { name: 'Due__c', type: 'date' },
        { name: 'Ext__c', type: 'text', externalId: true, unique: true },
        { name: 'Account__c', type: 'lookup', referenceTo: 'Account' },
      ],
    });
    const field = await admin(sandbox, 'POST', '/__admin/schema/fields', { object: 'Task', name: 'Touchpoint_Type', type: 'picklist', values: ['QBR', 'Onboarding'] });
    expect(field).toMatchObject({ name: 'Touchpoint_Type__c', type: 'picklist', custom: true, restrictedPicklist: true });

    const conn = connect(sandbox);
    const renewal = await conn.describe('Renewal__c');
    expect(renewal).toMatchObject({ name: 'Renewal__c', custom: true, keyPrefix: 'a0y' });
    expect((renewal.fields as unknown as Field[]).find((f) => f.name === 'Account__c')).toMatchObject({ type: 'reference', referenceTo: ['Account'], relationshipName: 'Account__r' });

    const account = (await conn.query<{ Id: string }>('SELECT Id FROM Account LIMIT 1')).records[0]?.Id ?? '';
    const { id } = await conn.sobject('Renewal__c').create({ Name: 'FY25', Amount__c: 1234.567, Due__c: '2025-01-31', Ext__c: 'R-1', Account__c: account });
    expect(id).toMatch(/^a0y/);
    const row = await conn.query<Record<string, unknown>>(`SELECT Name, Amount__c, Closed__c, Due__c, Account__r.Name FROM Renewal__c WHERE Ext__c = 'R-1'`);
    expect(row.records[0]).toMatchObject({ Name: 'FY25', Amount__c: 1234.57, Closed__c: false, Due__c: '2025-01-31', Account__r: { Name: expect.any(String) } });
    // Existing Tasks got the new field (null); a restricted value is refused.
    const err = await rest(sandbox, 'POST', '/sobjects/Task', { Subject: 'x', Touchpoint_Type__c: 'Nope' });
    expect(err.body).toEqual([{ message: 'Touchpoint Type: bad value for restricted picklist field: Nope', errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', fields: ['Touchpoint_Type__c'] }]);
  });

  it('serves the version list, the version resources, basic info and 404/405 bodies', async () => {
    const versions = (await (await fetch(`${sandbox.url}/services/data`)).json()) as Array<{ label: string; url: string; version: string }>;
    expect(versions).toContainEqual({ label: "Winter '25", url: '/services/data/v62.0', version: '62.0' });
    expect(versions[0]).toEqual({ label: "Winter '11", url: '/services/data/v20.0', version: '20.0' });
    const resources = await rest(sandbox, 'GET', '');
    expect(resources.body).toMatchObject({ sobjects: '/services/data/v62.0/sobjects', query: '/services/data/v62.0/query', limits: '/services/data/v62.0/limits', identity: expect.stringContaining('/id/00D') });
    const basic = await rest(sandbox, 'GET', '/sobjects/Account');
    expect(basic.body).toMatchObject({ objectDescribe: { name: 'Account', keyPrefix: '001' }, recentItems: [] });
    const unknown = await rest(sandbox, 'GET', '/nope');
    expect(unknown).toMatchObject({ status: 404, body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }] });
    const method = await rest(sandbox, 'PUT', '/sobjects/Account', {});
    expect(method).toMatchObject({ status: 405, body: [{ errorCode: 'METHOD_NOT_ALLOWED' }] });
  });
});
