/**
 * The sandbox's SOQL engine against an in-memory data source: result rows, their JSON shape, filter and sort
 * semantics, relative date literals, and the errors (code and message shape) Salesforce answers with.
 */
import { makeId } from '../../sandbox/salesforce/ids';
import {
  SalesforceError,
  type DataSource,
  type FieldSchema,
  type FieldValue,
  type ObjectSchema,
  type StoredRecord,
} from '../../sandbox/salesforce/model';
import { compileSoql, executeSoql, projectRecord, type SoqlQuery } from '../../sandbox/salesforce/soql';

// ---------------------------------------------------------------------------------------------------------
// Fixture: schemas, records and a data source.

function field(name: string, type: FieldSchema['type'], extra: Partial<FieldSchema> = {}): FieldSchema {
  return {
    name,
    label: name,
    type,
    length: type === 'id' || type === 'reference' ? 18 : 255,
    nillable: true,
    createable: true,
    updateable: true,
    filterable: true,
    sortable: true,
    defaultedOnCreate: false,
    externalId: false,
    unique: false,
    custom: name.endsWith('__c'),
    calculated: false,
    referenceTo: [],
    relationshipName: null,
    picklistValues: [],
    ...extra,
  };
}

function lookup(name: string, relationshipName: string, referenceTo: string[]): FieldSchema {
  return field(name, 'reference', { referenceTo, relationshipName });
}

function picklist(name: string, values: string[]): FieldSchema {
  return field(name, 'picklist', {
    picklistValues: values.map((value) => ({ value, label: value, active: true, defaultValue: false })),
  });
}

function object(name: string, keyPrefix: string, fields: FieldSchema[]): ObjectSchema {
  return { name, label: name, labelPlural: `${name}s`, keyPrefix, custom: name.endsWith('__c'), fields: [field('Id', 'id'), ...fields] };
}

const audit = [field('CreatedDate', 'datetime'), field('LastModifiedDate', 'datetime'), field('SystemModstamp', 'datetime')];

const SCHEMAS: ObjectSchema[] = [
  object('User', '005', [
    field('Name', 'string'),
    field('Email', 'email'),
    field('IsActive', 'boolean'),
    lookup('ManagerId', 'Manager', ['User']),
    ...audit,
  ]),
  object('Group', '00G', [field('Name', 'string'), field('Type', 'picklist')]),
  object('Account', '001', [
    field('Name', 'string'),
    picklist('Industry', ['Technology', 'Finance', 'Retail']),
    field('AnnualRevenue', 'currency'),
    field('NumberOfEmployees', 'int'),
    field('Rating__c', 'percent'),
    field('Description', 'textarea', { filterable: false, sortable: false }),
    lookup('OwnerId', 'Owner', ['User']),
    ...audit,
  ]),
  object('Contact', '003', [
    field('Name', 'string', { calculated: true }),
    field('FirstName', 'string'),
    field('LastName', 'string'),
    field('Email', 'email'),
    field('Birthdate', 'date'),
    field('HasOptedOutOfEmail', 'boolean'),
    lookup('AccountId', 'Account', ['Account']),
    lookup('OwnerId', 'Owner', ['User']),
    ...audit,
  ]),
  object('Opportunity', '006', [field('Name', 'string'), field('StageName', 'picklist')]),
  object('Task', '00T', [
    field('Subject', 'combobox'),
    picklist('Status', ['Not Started', 'In Progress', 'Completed', 'Waiting on someone else', 'Deferred']),
    field('ActivityDate', 'date'),
    field('IsClosed', 'boolean'),
    field('Channels__c', 'multipicklist', { sortable: false }),
    lookup('OwnerId', 'Owner', ['Group', 'User']),
    lookup('WhoId', 'Who', ['Contact', 'Lead']),
    lookup('WhatId', 'What', ['Account', 'Opportunity']),
    lookup('CreatedById', 'CreatedBy', ['User']),
    ...audit,
  ]),
  object('Cal__c', 'a0x', [field('Day__c', 'date'), field('At__c', 'datetime')]),
];

class MemoryDataSource implements DataSource {
  private readonly byId = new Map<string, StoredRecord>();
  private readonly byType = new Map<string, StoredRecord[]>();

  constructor(
    private readonly schemas: ObjectSchema[],
    records: StoredRecord[],
    public clock: Date,
  ) {
    for (const r of records) {
      this.byId.set(r.id, r);
      this.byId.set(r.id.slice(0, 15), r);
      const list = this.byType.get(r.type) ?? [];
      list.push(r);
      this.byType.set(r.type, list);
    }
  }

  getObject(name: string): ObjectSchema | undefined {
    return this.schemas.find((s) => s.name.toLowerCase() === name.toLowerCase());
  }

  records(objectName: string): Iterable<StoredRecord> {
    return this.byType.get(objectName) ?? [];
  }

  getRecord(id: string): StoredRecord | undefined {
    return this.byId.get(id);
  }

  now(): Date {
    return this.clock;
  }
}

let sequence = 1;
function record(type: string, fields: Record<string, FieldValue>, isDeleted = false): StoredRecord {
  const keyPrefix = SCHEMAS.find((s) => s.name === type)?.keyPrefix ?? '000';
  const id = makeId(keyPrefix, sequence++);
  return { type, id, isDeleted, fields: { Id: id, ...fields } };
}

/** Wednesday 15 May 2024, 12:00 UTC: the week started on Sunday the 12th, the quarter on 1 April. */
const NOW = new Date('2024-05-15T12:00:00.000Z');

const grace = record('User', { Name: 'Grace Hopper', Email: 'grace@example.com', IsActive: true, ManagerId: null });
const ada = record('User', { Name: 'Ada Lovelace', Email: 'ada@example.com', IsActive: true, ManagerId: grace.id });
const alan = record('User', { Name: 'alan turing', Email: null, IsActive: false, ManagerId: null });
const queue = record('Group', { Name: 'Support Queue', Type: 'Queue' });

const acme = record('Account', {
  Name: 'Acme',
  Industry: 'Technology',
  AnnualRevenue: 1000000,
  NumberOfEmployees: 50,
  Rating__c: 12.5,
  Description: 'Rockets',
  OwnerId: ada.id,
  CreatedDate: '2024-05-01T08:00:00.000Z',
});
const globex = record('Account', {
  Name: 'Globex Corp',
  Industry: 'Finance',
  AnnualRevenue: 250000.5,
  NumberOfEmployees: 10,
  Rating__c: null,
  Description: null,
  OwnerId: grace.id,
  CreatedDate: '2024-05-14T23:59:59.000Z',
});
const initech = record('Account', {
  Name: 'initech',
  Industry: null,
  AnnualRevenue: null,
  NumberOfEmployees: 200,
  Rating__c: 3,
  Description: null,
  OwnerId: ada.id,
  CreatedDate: '2024-05-15T00:00:00.000Z',
});
const pure = record('Account', {
  Name: '100% Pure',
  Industry: 'Retail',
  AnnualRevenue: 5,
  NumberOfEmployees: 1,
  Rating__c: null,
  Description: null,
  OwnerId: alan.id,
  CreatedDate: '2024-04-30T10:00:00.000Z',
});
const underscore = record('Account', {
  Name: 'under_score',
  Industry: 'Energy',
  AnnualRevenue: 10,
  NumberOfEmployees: 2,
  Rating__c: null,
  Description: null,
  OwnerId: null,
  CreatedDate: '2023-12-31T23:00:00.000Z',
});
const deletedAccount = record(
  'Account',
  { Name: 'Deleted Co', Industry: 'Finance', AnnualRevenue: 1, NumberOfEmployees: 1, Rating__c: null, OwnerId: ada.id, CreatedDate: '2024-01-01T00:00:00.000Z' },
  true,
);

const jane = record('Contact', {
  Name: 'Jane Doe',
  FirstName: 'Jane',
  LastName: 'Doe',
  Email: 'jane@acme.com',
  Birthdate: '1990-02-14',
  HasOptedOutOfEmail: false,
  AccountId: acme.id,
  OwnerId: ada.id,
});
const john = record('Contact', {
  Name: "John O'Brien",
  FirstName: 'John',
  LastName: "O'Brien",
  Email: null,
  Birthdate: null,
  HasOptedOutOfEmail: true,
  AccountId: null,
  OwnerId: grace.id,
});
const ann = record('Contact', {
  Name: 'Ann Lee',
  FirstName: 'Ann',
  LastName: 'Lee',
  Email: 'ann@globex.com',
  Birthdate: '1985-11-30',
  HasOptedOutOfEmail: false,
  AccountId: globex.id,
  OwnerId: ada.id,
});

const bigDeal = record('Opportunity', { Name: 'Big Deal', StageName: 'Prospecting' });

const callJane = record('Task', {
  Subject: 'Call Jane',
  Status: 'Not Started',
  ActivityDate: '2024-05-15',
  IsClosed: false,
  Channels__c: 'Email;Phone',
  OwnerId: ada.id,
  WhoId: jane.id,
  WhatId: acme.id,
  CreatedById: grace.id,
  CreatedDate: '2024-05-15T09:30:00.000Z',
  LastModifiedDate: '2024-05-15T09:30:00.000Z',
  SystemModstamp: '2024-05-15T09:30:00.000Z',
});
const emailAnn = record('Task', {
  Subject: 'Email Ann',
  Status: 'Completed',
  ActivityDate: '2024-05-10',
  IsClosed: true,
  Channels__c: 'Email',
  OwnerId: queue.id,
  WhoId: ann.id,
  WhatId: bigDeal.id,
  CreatedById: ada.id,
  CreatedDate: '2024-05-09T16:00:00.000Z',
  LastModifiedDate: '2024-05-10T08:00:00.000Z',
  SystemModstamp: '2024-05-10T08:00:00.000Z',
});
const followUp = record('Task', {
  Subject: 'Follow up',
  Status: 'In Progress',
  ActivityDate: null,
  IsClosed: false,
  Channels__c: null,
  OwnerId: grace.id,
  WhoId: null,
  WhatId: null,
  CreatedById: grace.id,
  CreatedDate: '2024-04-01T00:00:00.000Z',
  LastModifiedDate: '2024-05-10T08:00:00.000Z',
  SystemModstamp: '2024-05-10T08:00:00.000Z',
});
const callBack = record('Task', {
  Subject: 'call back',
  Status: 'Deferred',
  ActivityDate: '2024-06-01',
  IsClosed: false,
  Channels__c: 'Chat;Phone',
  OwnerId: alan.id,
  WhoId: john.id,
  WhatId: globex.id,
  CreatedById: ada.id,
  CreatedDate: '2024-05-14T22:00:00.000Z',
  LastModifiedDate: '2024-05-14T22:00:00.000Z',
  SystemModstamp: '2024-05-14T22:00:00.000Z',
});
const deletedTask = record(
  'Task',
  {
    Subject: 'Old task',
    Status: 'Completed',
    ActivityDate: '2024-01-02',
    IsClosed: true,
    Channels__c: 'Email',
    OwnerId: ada.id,
    WhoId: null,
    WhatId: null,
    CreatedById: ada.id,
    CreatedDate: '2024-01-01T00:00:00.000Z',
    LastModifiedDate: '2024-01-03T00:00:00.000Z',
    SystemModstamp: '2024-01-03T00:00:00.000Z',
  },
  true,
);

/** Two Cal__c rows per day from 2021-06-01 to 2026-06-30: at 00:00:00.000 and at 23:59:59.999 UTC. */
function calendarRows(): StoredRecord[] {
  const rows: StoredRecord[] = [];
  for (let ms = Date.UTC(2021, 5, 1); ms <= Date.UTC(2026, 5, 30); ms += 86_400_000) {
    const day = new Date(ms).toISOString().slice(0, 10);
    rows.push(record('Cal__c', { Day__c: day, At__c: `${day}T00:00:00.000Z` }));
    rows.push(record('Cal__c', { Day__c: day, At__c: `${day}T23:59:59.999Z` }));
  }
  return rows;
}

const ALL = [grace, ada, alan, queue, acme, globex, initech, pure, underscore, deletedAccount, jane, john, ann, bigDeal];
const TASKS = [callJane, emailAnn, followUp, callBack, deletedTask];
const ds = new MemoryDataSource(SCHEMAS, [...ALL, ...TASKS, ...calendarRows()], NOW);

// ---------------------------------------------------------------------------------------------------------
// Helpers.

function run(soql: string, scanAll = false) {
  const query = compileSoql(soql, ds);
  return executeSoql(query, ds, { scanAll });
}

function ids(soql: string, scanAll = false): string[] {
  return run(soql, scanAll).records.map((r) => r.id);
}

function names(soql: string, key = 'Name', scanAll = false): unknown[] {
  return run(soql, scanAll).records.map((r) => r.fields[key]);
}

function rows(soql: string, apiVersion = '62.0'): Record<string, unknown>[] {
  const query: SoqlQuery = compileSoql(soql, ds);
  return executeSoql(query, ds, { scanAll: false }).records.map((r) => projectRecord(query, r, ds, apiVersion));
}

function compileError(soql: string): SalesforceError {
  try {
    compileSoql(soql, ds);
  } catch (error) {
    if (error instanceof SalesforceError) return error;
    throw error;
  }
  throw new Error(`expected ${soql} to fail`);
}

/** The caret block Salesforce puts before the reason: the line, a caret under `column`, then row and column. */
function caret(line: string, column: number, row = 1): string {
  return `\n${line}\n${' '.repeat(column - 1)}^\nERROR at Row:${row}:Column:${column}\n`;
}

function url(r: StoredRecord, version = '62.0'): string {
  return `/services/data/v${version}/sobjects/${r.type}/${r.id}`;
}

// ---------------------------------------------------------------------------------------------------------

describe('SOQL engine: SELECT and the JSON row shape', () => {
  it('returns canonical field names in SELECT order with attributes, whatever the case in the query', () => {
    const [row] = rows(`SELECT NAME, industry, Id, annualrevenue FROM account WHERE Id = '${acme.id}'`);
    expect(row).toEqual({
      attributes: { type: 'Account', url: url(acme) },
      Name: 'Acme',
      Industry: 'Technology',
      Id: acme.id,
      AnnualRevenue: 1000000,
    });
    expect(Object.keys(row ?? {})).toEqual(['attributes', 'Name', 'Industry', 'Id', 'AnnualRevenue']);
  });

  it('uses the API version it is given in attribute URLs', () => {
    const [row] = rows(`SELECT Id FROM Account WHERE Id = '${acme.id}'`, '58.0');
    expect(row?.['attributes']).toEqual({ type: 'Account', url: `/services/data/v58.0/sobjects/Account/${acme.id}` });
  });

  it("formats datetimes as Salesforce does, dates as YYYY-MM-DD, and keeps booleans, numbers and nulls typed", () => {
    const [task] = rows(`SELECT CreatedDate, ActivityDate, IsClosed, Channels__c FROM Task WHERE Id = '${callJane.id}'`);
    expect(task).toMatchObject({
      CreatedDate: '2024-05-15T09:30:00.000+0000',
      ActivityDate: '2024-05-15',
      IsClosed: false,
      Channels__c: 'Email;Phone',
    });
    const [account] = rows(`SELECT NumberOfEmployees, Rating__c, AnnualRevenue, Industry FROM Account WHERE Id = '${initech.id}'`);
    expect(account).toMatchObject({ NumberOfEmployees: 200, Rating__c: 3, AnnualRevenue: null, Industry: null });
  });

  it('nests a relationship as an object with its own attributes, merging fields of the same relationship', () => {
    const [row] = rows(`SELECT Id, Owner.Email, Subject, owner.NAME FROM Task WHERE Id = '${callJane.id}'`);
    expect(row).toEqual({
      attributes: { type: 'Task', url: url(callJane) },
      Id: callJane.id,
      Owner: { attributes: { type: 'User', url: url(ada) }, Email: 'ada@example.com', Name: 'Ada Lovelace' },
      Subject: 'Call Jane',
    });
    expect(Object.keys(row ?? {})).toEqual(['attributes', 'Id', 'Owner', 'Subject']);
  });

  it('gives null for an empty lookup', () => {
    const [row] = rows(`SELECT LastName, Account.Name, Account.Industry FROM Contact WHERE Id = '${john.id}'`);
    expect(row).toEqual({ attributes: { type: 'Contact', url: url(john) }, LastName: "O'Brien", Account: null });
  });

  it('follows polymorphic lookups to whatever type the ID points at', () => {
    const result = rows(`SELECT Subject, What.Name, What.Type, Who.Name, Owner.Name, Owner.Email FROM Task WHERE Id IN ('${callJane.id}', '${emailAnn.id}') ORDER BY Subject`);
    expect(result).toEqual([
      {
        attributes: { type: 'Task', url: url(callJane) },
        Subject: 'Call Jane',
        What: { attributes: { type: 'Account', url: url(acme) }, Name: 'Acme', Type: 'Account' },
        Who: { attributes: { type: 'Contact', url: url(jane) }, Name: 'Jane Doe' },
        Owner: { attributes: { type: 'User', url: url(ada) }, Name: 'Ada Lovelace', Email: 'ada@example.com' },
      },
      {
        attributes: { type: 'Task', url: url(emailAnn) },
        Subject: 'Email Ann',
        What: { attributes: { type: 'Opportunity', url: url(bigDeal) }, Name: 'Big Deal', Type: 'Opportunity' },
        Who: { attributes: { type: 'Contact', url: url(ann) }, Name: 'Ann Lee' },
        // The owner is a queue (Group): it has a Name but no Email.
        Owner: { attributes: { type: 'Group', url: url(queue) }, Name: 'Support Queue', Email: null },
      },
    ]);
  });

  it('follows deeper paths, with null at the level where a lookup is empty', () => {
    const result = rows(`SELECT Id, Owner.Manager.Email, Owner.Name FROM Account WHERE Id IN ('${acme.id}', '${globex.id}') ORDER BY Name`);
    expect(result[0]).toEqual({
      attributes: { type: 'Account', url: url(acme) },
      Id: acme.id,
      Owner: {
        attributes: { type: 'User', url: url(ada) },
        Manager: { attributes: { type: 'User', url: url(grace) }, Email: 'grace@example.com' },
        Name: 'Ada Lovelace',
      },
    });
    expect(result[1]).toMatchObject({ Owner: { Manager: null, Name: 'Grace Hopper' } });
  });

  it('accepts the FROM alias as a path prefix', () => {
    expect(names(`SELECT t.Subject, t.Owner.Email FROM Task t WHERE t.Owner.Email = 'ada@example.com' ORDER BY t.Subject`, 'Subject')).toEqual([
      'Call Jane',
    ]);
  });

  it('counts with COUNT(), returning no rows', () => {
    expect(run('SELECT COUNT() FROM Account')).toEqual({ totalSize: 5, isCount: true, records: [] });
    expect(run("SELECT COUNT() FROM Account WHERE Industry = 'Finance'")).toEqual({ totalSize: 1, isCount: true, records: [] });
    expect(run('SELECT count() FROM Account LIMIT 2').totalSize).toBe(2);
    expect(run('SELECT COUNT() FROM Account', true).totalSize).toBe(6);
    expect(compileSoql('SELECT COUNT() FROM Task', ds).isCount).toBe(true);
  });

  it('lists canonical column paths for CSV headers', () => {
    expect(compileSoql('SELECT id, subject, owner.email FROM task', ds).columns).toEqual(['Id', 'Subject', 'Owner.Email']);
  });
});

describe('SOQL engine: WHERE', () => {
  it('compares text case-insensitively', () => {
    expect(names("SELECT Name FROM Account WHERE Name = 'ACME'")).toEqual(['Acme']);
    expect(names("SELECT Name FROM Account WHERE Name IN ('initech', 'GLOBEX CORP') ORDER BY Name")).toEqual(['Globex Corp', 'initech']);
    expect(names("SELECT Name FROM Account WHERE Name < 'b' ORDER BY Name")).toEqual(['100% Pure', 'Acme']);
  });

  it('treats null as a value: != and NOT IN match nulls, ordering comparisons never do', () => {
    expect(names("SELECT Name FROM Account WHERE Industry != 'Finance' ORDER BY Name")).toEqual(['100% Pure', 'Acme', 'initech', 'under_score']);
    expect(names("SELECT Name FROM Account WHERE Industry <> 'Finance' ORDER BY Name")).toHaveLength(4);
    expect(names("SELECT Name FROM Account WHERE Industry NOT IN ('Finance', 'Retail') ORDER BY Name")).toEqual(['Acme', 'initech', 'under_score']);
    expect(names("SELECT Name FROM Account WHERE Industry NOT IN ('Finance', null) ORDER BY Name")).toEqual(['100% Pure', 'Acme', 'under_score']);
    expect(names("SELECT Name FROM Account WHERE Industry IN ('Finance', null) ORDER BY Name")).toEqual(['Globex Corp', 'initech']);
    expect(names('SELECT Name FROM Account WHERE Rating__c < 100 ORDER BY Name')).toEqual(['Acme', 'initech']);
  });

  it('filters on null with = null and != null', () => {
    expect(names('SELECT Name FROM Account WHERE Industry = null')).toEqual(['initech']);
    expect(names('SELECT Name FROM Account WHERE AnnualRevenue != null ORDER BY Name')).toEqual(['100% Pure', 'Acme', 'Globex Corp', 'under_score']);
    expect(names('SELECT LastName FROM Contact WHERE AccountId = null', 'LastName')).toEqual(["O'Brien"]);
    // Salesforce stores blank text as null, so the empty string is null too.
    expect(names("SELECT Name FROM Account WHERE Industry = ''")).toEqual(['initech']);
    expect(names("SELECT Name FROM Account WHERE Industry != '' ORDER BY Name")).toEqual(['100% Pure', 'Acme', 'Globex Corp', 'under_score']);
  });

  it('compares numbers, currency and percent fields', () => {
    expect(names('SELECT Name FROM Account WHERE NumberOfEmployees > 10 ORDER BY Name')).toEqual(['Acme', 'initech']);
    expect(names('SELECT Name FROM Account WHERE NumberOfEmployees >= 10 ORDER BY Name')).toEqual(['Acme', 'Globex Corp', 'initech']);
    expect(names('SELECT Name FROM Account WHERE NumberOfEmployees <= 2 ORDER BY Name')).toEqual(['100% Pure', 'under_score']);
    expect(names('SELECT Name FROM Account WHERE AnnualRevenue = 250000.5')).toEqual(['Globex Corp']);
    expect(names('SELECT Name FROM Account WHERE AnnualRevenue > USD1000')).toEqual(['Acme', 'Globex Corp']);
    expect(names('SELECT Name FROM Account WHERE NumberOfEmployees IN (1, 2, 3) ORDER BY Name')).toEqual(['100% Pure', 'under_score']);
    expect(names('SELECT Name FROM Account WHERE Rating__c > -1.5 AND Rating__c < 5')).toEqual(['initech']);
  });

  it('filters booleans with TRUE and FALSE literals', () => {
    expect(names('SELECT LastName FROM Contact WHERE HasOptedOutOfEmail = true', 'LastName')).toEqual(["O'Brien"]);
    expect(names('SELECT LastName FROM Contact WHERE HasOptedOutOfEmail = FALSE ORDER BY LastName', 'LastName')).toEqual(['Doe', 'Lee']);
    expect(names('SELECT Name FROM User WHERE IsActive != true')).toEqual(['alan turing']);
  });

  it('decodes string escapes', () => {
    expect(names("SELECT LastName FROM Contact WHERE LastName = 'O\\'Brien'", 'LastName')).toEqual(["O'Brien"]);
    expect(names("SELECT LastName FROM Contact WHERE LastName = 'O\\u0027brien'", 'LastName')).toEqual(["O'Brien"]);
  });

  it('matches LIKE case-insensitively with % and _ wildcards and backslash escapes', () => {
    expect(names("SELECT Name FROM Account WHERE Name LIKE 'a%'")).toEqual(['Acme']);
    expect(names("SELECT Name FROM Account WHERE Name LIKE '%CORP'")).toEqual(['Globex Corp']);
    expect(names("SELECT Name FROM Account WHERE Name LIKE '_cme'")).toEqual(['Acme']);
    expect(names("SELECT Name FROM Account WHERE Name LIKE '%e%' ORDER BY Name")).toEqual(['100% Pure', 'Acme', 'Globex Corp', 'initech', 'under_score']);
    // \% and \_ are a literal percent sign and underscore.
    expect(names("SELECT Name FROM Account WHERE Name LIKE '100\\%%'")).toEqual(['100% Pure']);
    expect(names("SELECT Name FROM Account WHERE Name LIKE '%\\%'")).toEqual([]);
    expect(names("SELECT Name FROM Account WHERE Name LIKE '%\\_%'")).toEqual(['under_score']);
    // Regular-expression characters in the pattern are literal.
    expect(names("SELECT Name FROM Account WHERE Name LIKE 'Acm.'")).toEqual([]);
    expect(names("SELECT Name FROM Account WHERE Name LIKE 'Acme'")).toEqual(['Acme']);
    // Null never matches a LIKE.
    expect(names("SELECT Name FROM Account WHERE Industry LIKE '%'")).not.toContain('initech');
  });

  it('matches multipicklists with INCLUDES, EXCLUDES and set equality', () => {
    const subjects = (where: string) => names(`SELECT Subject FROM Task WHERE ${where} ORDER BY Subject`, 'Subject');
    expect(subjects("Channels__c INCLUDES ('Email')")).toEqual(['Call Jane', 'Email Ann']);
    // 'a;b' inside INCLUDES means both values.
    expect(subjects("Channels__c INCLUDES ('Email;Phone')")).toEqual(['Call Jane']);
    expect(subjects("Channels__c INCLUDES ('phone;email', 'Chat')")).toEqual(['call back', 'Call Jane']);
    expect(subjects("Channels__c EXCLUDES ('Email')")).toEqual(['call back', 'Follow up']);
    expect(subjects("Channels__c EXCLUDES ('Email;Phone')")).toEqual(['call back', 'Email Ann', 'Follow up']);
    expect(subjects("Channels__c = 'Phone;Email'")).toEqual(['Call Jane']);
    expect(subjects("Channels__c = 'Email'")).toEqual(['Email Ann']);
    expect(subjects("Channels__c IN ('Email', 'Chat;Phone')")).toEqual(['call back', 'Email Ann']);
  });

  it('combines conditions with AND, OR, NOT and parentheses', () => {
    expect(names("SELECT Name FROM Account WHERE NumberOfEmployees > 5 AND Industry = 'Technology' AND Name LIKE 'A%'")).toEqual(['Acme']);
    expect(names("SELECT Name FROM Account WHERE Industry = 'Retail' OR Industry = 'Finance' OR Name = 'Acme' ORDER BY Name")).toEqual([
      '100% Pure',
      'Acme',
      'Globex Corp',
    ]);
    expect(names("SELECT Name FROM Account WHERE (Industry = 'Retail' OR Industry = 'Finance') AND NumberOfEmployees > 5")).toEqual(['Globex Corp']);
    expect(names("SELECT Name FROM Account WHERE NOT Industry = 'Technology' ORDER BY Name")).toEqual(['100% Pure', 'Globex Corp', 'initech', 'under_score']);
    expect(names("SELECT Name FROM Account WHERE NOT (Industry = 'Technology' OR Industry = null) ORDER BY Name")).toEqual([
      '100% Pure',
      'Globex Corp',
      'under_score',
    ]);
    expect(names("SELECT Name FROM Account WHERE NumberOfEmployees > 5 AND (NOT Industry = 'Technology') ORDER BY Name")).toEqual(['Globex Corp', 'initech']);
    expect(
      names("SELECT Name FROM Account WHERE ((Industry = 'Retail' AND NumberOfEmployees = 1) OR (Industry = 'Technology' AND NumberOfEmployees = 50)) AND Name != null ORDER BY Name"),
    ).toEqual(['100% Pure', 'Acme']);
  });

  it('compares dates and datetimes, honouring time-zone offsets in datetime literals', () => {
    expect(names('SELECT LastName FROM Contact WHERE Birthdate = 1990-02-14', 'LastName')).toEqual(['Doe']);
    expect(names('SELECT LastName FROM Contact WHERE Birthdate < 1990-01-01', 'LastName')).toEqual(['Lee']);
    expect(names('SELECT Name FROM Account WHERE CreatedDate = 2024-05-15T00:00:00Z')).toEqual(['initech']);
    // 01:00 at +01:00 is midnight UTC.
    expect(names('SELECT Name FROM Account WHERE CreatedDate = 2024-05-15T01:00:00+01:00')).toEqual(['initech']);
    expect(names('SELECT Name FROM Account WHERE CreatedDate >= 2024-05-14T16:59:59-0700 ORDER BY Name')).toEqual(['Globex Corp', 'initech']);
    expect(names('SELECT Name FROM Account WHERE CreatedDate > 2024-05-14T23:59:59.000Z')).toEqual(['initech']);
    expect(names('SELECT Name FROM Account WHERE CreatedDate < 2024-01-01T00:00:00Z')).toEqual(['under_score']);
  });

  it('filters through relationship fields, reading an empty lookup as null', () => {
    expect(names("SELECT Subject FROM Task WHERE Owner.Email = 'ADA@example.com'", 'Subject')).toEqual(['Call Jane']);
    expect(names("SELECT LastName FROM Contact WHERE Account.Name = 'Acme'", 'LastName')).toEqual(['Doe']);
    expect(names("SELECT LastName FROM Contact WHERE Account.Name != 'Acme' ORDER BY LastName", 'LastName')).toEqual(['Lee', "O'Brien"]);
    expect(names('SELECT LastName FROM Contact WHERE Account.Name = null', 'LastName')).toEqual(["O'Brien"]);
    expect(names("SELECT Subject FROM Task WHERE What.Type = 'Opportunity'", 'Subject')).toEqual(['Email Ann']);
    expect(names("SELECT Name FROM Account WHERE Owner.Manager.Name = 'Grace Hopper' ORDER BY Name")).toEqual(['Acme', 'initech']);
  });

  it('accepts 15- and 18-character IDs, in any case for the 18-character form', () => {
    const id15 = acme.id.slice(0, 15);
    expect(ids(`SELECT Id FROM Account WHERE Id = '${id15}'`)).toEqual([acme.id]);
    expect(ids(`SELECT Id FROM Account WHERE Id = '${acme.id.toLowerCase()}'`)).toEqual([acme.id]);
    expect(ids(`SELECT Id FROM Account WHERE Id IN ('${id15}', '${globex.id}') ORDER BY Name`)).toEqual([acme.id, globex.id]);
    expect(ids(`SELECT Id FROM Contact WHERE AccountId = '${acme.id.slice(0, 15)}'`)).toEqual([jane.id]);
    expect(ids(`SELECT Id FROM Account WHERE Id != '${id15}'`)).not.toContain(acme.id);
  });

  it('filters on IsDeleted, which only queryAll can see true', () => {
    expect(names('SELECT Name FROM Account WHERE IsDeleted = true')).toEqual([]);
    expect(names('SELECT Name FROM Account WHERE IsDeleted = true', 'Name', true)).toEqual(['Deleted Co']);
    expect(names('SELECT Name FROM Account WHERE IsDeleted = false', 'Name', true)).toHaveLength(5);
  });
});

describe('SOQL engine: relative date literals (now = Wednesday 2024-05-15 12:00 UTC)', () => {
  /** The matching Cal__c days: first, last and how many distinct days. */
  function dayRange(where: string): [string | undefined, string | undefined, number] {
    const days = [...new Set(names(`SELECT Day__c FROM Cal__c WHERE ${where} ORDER BY Day__c`, 'Day__c') as string[])];
    return [days[0], days[days.length - 1], days.length];
  }
  /** The matching Cal__c datetimes: first and last. */
  function instantRange(where: string): [unknown, unknown] {
    const at = names(`SELECT At__c FROM Cal__c WHERE ${where} ORDER BY At__c`, 'At__c');
    return [at[0], at[at.length - 1]];
  }

  it.each([
    ['YESTERDAY', '2024-05-14', '2024-05-14', 1],
    ['TODAY', '2024-05-15', '2024-05-15', 1],
    ['TOMORROW', '2024-05-16', '2024-05-16', 1],
    ['LAST_WEEK', '2024-05-05', '2024-05-11', 7],
    ['THIS_WEEK', '2024-05-12', '2024-05-18', 7],
    ['NEXT_WEEK', '2024-05-19', '2024-05-25', 7],
    ['LAST_MONTH', '2024-04-01', '2024-04-30', 30],
    ['THIS_MONTH', '2024-05-01', '2024-05-31', 31],
    ['NEXT_MONTH', '2024-06-01', '2024-06-30', 30],
    ['LAST_90_DAYS', '2024-02-15', '2024-05-15', 91],
    ['NEXT_90_DAYS', '2024-05-16', '2024-08-13', 90],
    ['THIS_QUARTER', '2024-04-01', '2024-06-30', 91],
    ['LAST_QUARTER', '2024-01-01', '2024-03-31', 91],
    ['NEXT_QUARTER', '2024-07-01', '2024-09-30', 92],
    ['THIS_YEAR', '2024-01-01', '2024-12-31', 366],
    ['LAST_YEAR', '2023-01-01', '2023-12-31', 365],
    ['NEXT_YEAR', '2025-01-01', '2025-12-31', 365],
    ['THIS_FISCAL_QUARTER', '2024-04-01', '2024-06-30', 91],
    ['LAST_N_DAYS:7', '2024-05-08', '2024-05-15', 8],
    ['NEXT_N_DAYS:7', '2024-05-16', '2024-05-22', 7],
    ['N_DAYS_AGO:3', '2024-05-12', '2024-05-12', 1],
    ['LAST_N_WEEKS:2', '2024-04-28', '2024-05-11', 14],
    ['NEXT_N_WEEKS:2', '2024-05-19', '2024-06-01', 14],
    ['N_WEEKS_AGO:1', '2024-05-05', '2024-05-11', 7],
    ['LAST_N_MONTHS:2', '2024-03-01', '2024-04-30', 61],
    ['NEXT_N_MONTHS:2', '2024-06-01', '2024-07-31', 61],
    ['N_MONTHS_AGO:12', '2023-05-01', '2023-05-31', 31],
    ['LAST_N_QUARTERS:1', '2024-01-01', '2024-03-31', 91],
    ['LAST_N_YEARS:2', '2022-01-01', '2023-12-31', 730],
    ['NEXT_N_YEARS:1', '2025-01-01', '2025-12-31', 365],
  ])('%s covers %s to %s on a date field', (literal, first, last, count) => {
    expect(dayRange(`Day__c = ${literal}`)).toEqual([first, last, count]);
  });

  it('applies the same ranges to datetime fields, from 00:00 of the first day to the end of the last', () => {
    expect(instantRange('At__c = LAST_N_DAYS:7')).toEqual(['2024-05-08T00:00:00.000Z', '2024-05-15T23:59:59.999Z']);
    expect(instantRange('At__c = TODAY')).toEqual(['2024-05-15T00:00:00.000Z', '2024-05-15T23:59:59.999Z']);
    expect(instantRange('At__c = THIS_MONTH')).toEqual(['2024-05-01T00:00:00.000Z', '2024-05-31T23:59:59.999Z']);
    expect(instantRange('At__c = NEXT_N_YEARS:1')).toEqual(['2025-01-01T00:00:00.000Z', '2025-12-31T23:59:59.999Z']);
  });

  it('reads > as after the end of the range and < as before its start', () => {
    expect(dayRange('Day__c > TODAY')[0]).toBe('2024-05-16');
    expect(dayRange('Day__c >= TODAY')[0]).toBe('2024-05-15');
    expect(dayRange('Day__c < TODAY')[1]).toBe('2024-05-14');
    expect(dayRange('Day__c <= TODAY')[1]).toBe('2024-05-15');
    expect(instantRange('At__c > LAST_N_DAYS:7')[0]).toBe('2024-05-16T00:00:00.000Z');
    expect(instantRange('At__c < LAST_N_DAYS:7')[1]).toBe('2024-05-07T23:59:59.999Z');
    expect(dayRange('Day__c < THIS_QUARTER')[1]).toBe('2024-03-31');
    expect(dayRange('Day__c > THIS_WEEK')[0]).toBe('2024-05-19');
  });

  it('negates ranges with != and combines them in IN lists', () => {
    const [, , total] = dayRange('Day__c != null');
    expect(dayRange('Day__c != THIS_WEEK')[2]).toBe(total - 7);
    expect(dayRange('Day__c IN (YESTERDAY, TOMORROW, 2024-01-01)')).toEqual(['2024-01-01', '2024-05-16', 3]);
  });

  it('evaluates relative literals against the clock when the query executes', () => {
    const query = compileSoql('SELECT Day__c FROM Cal__c WHERE Day__c = TODAY', ds);
    const local = new MemoryDataSource(SCHEMAS, calendarRows(), new Date('2025-02-28T23:59:59Z'));
    expect(executeSoql(query, local, { scanAll: false }).records.map((r) => r.fields['Day__c'])).toEqual(['2025-02-28', '2025-02-28']);
    local.clock = new Date('2025-03-01T00:00:00Z');
    expect(executeSoql(query, local, { scanAll: false }).records.map((r) => r.fields['Day__c'])).toEqual(['2025-03-01', '2025-03-01']);
  });
});

describe('SOQL engine: ORDER BY, LIMIT, OFFSET', () => {
  it('orders text case-insensitively, ascending by default', () => {
    expect(names('SELECT Name FROM Account ORDER BY Name')).toEqual(['100% Pure', 'Acme', 'Globex Corp', 'initech', 'under_score']);
    expect(names('SELECT Name FROM Account ORDER BY Name DESC')).toEqual(['under_score', 'initech', 'Globex Corp', 'Acme', '100% Pure']);
  });

  it('puts nulls first ascending and last descending unless NULLS FIRST/LAST says otherwise', () => {
    // Rows that tie (the three nulls) keep Id order.
    expect(names('SELECT Name FROM Account ORDER BY Rating__c')).toEqual(['Globex Corp', '100% Pure', 'under_score', 'initech', 'Acme']);
    expect(names('SELECT Name FROM Account ORDER BY Rating__c ASC NULLS LAST, Name')).toEqual(['initech', 'Acme', '100% Pure', 'Globex Corp', 'under_score']);
    expect(names('SELECT Name FROM Account ORDER BY Rating__c DESC, Name')).toEqual(['Acme', 'initech', '100% Pure', 'Globex Corp', 'under_score']);
    expect(names('SELECT Name FROM Account ORDER BY Rating__c DESC NULLS FIRST, Name DESC')).toEqual(['under_score', 'Globex Corp', '100% Pure', 'Acme', 'initech']);
  });

  it('sorts on several keys, including relationship fields', () => {
    expect(names('SELECT Name FROM Account ORDER BY Owner.Name NULLS LAST, NumberOfEmployees DESC')).toEqual([
      'initech', // Ada Lovelace, 200 employees
      'Acme', // Ada Lovelace, 50 employees
      '100% Pure', // alan turing: after Ada and before Grace, since text sorts case-insensitively
      'Globex Corp', // Grace Hopper
      'under_score', // no owner
    ]);
    expect(names('SELECT Subject FROM Task ORDER BY Owner.Email DESC NULLS FIRST, Subject', 'Subject')).toEqual([
      'call back', // alan: null email
      'Email Ann', // queue: no Email field
      'Follow up', // grace@
      'Call Jane', // ada@
    ]);
  });

  it('sorts picklists in their defined order, unknown values last', () => {
    expect(names('SELECT Name FROM Account ORDER BY Industry NULLS LAST')).toEqual(['Acme', 'Globex Corp', '100% Pure', 'under_score', 'initech']);
    expect(names('SELECT Subject FROM Task ORDER BY Status DESC', 'Subject')).toEqual(['call back', 'Email Ann', 'Follow up', 'Call Jane']);
  });

  it('sorts datetimes, booleans and dates, breaking ties by Id', () => {
    expect(ids('SELECT Id FROM Task ORDER BY SystemModstamp, Id')).toEqual([emailAnn.id, followUp.id, callBack.id, callJane.id]);
    expect(ids('SELECT Id FROM Task ORDER BY LastModifiedDate DESC')).toEqual([callJane.id, callBack.id, emailAnn.id, followUp.id]);
    expect(ids('SELECT Id FROM Task ORDER BY IsClosed DESC, ActivityDate')).toEqual([emailAnn.id, followUp.id, callJane.id, callBack.id]);
  });

  it('applies OFFSET then LIMIT after sorting, and reports the window size as totalSize', () => {
    const all = names('SELECT Name FROM Account ORDER BY Name');
    expect(names('SELECT Name FROM Account ORDER BY Name LIMIT 2')).toEqual(all.slice(0, 2));
    expect(names('SELECT Name FROM Account ORDER BY Name LIMIT 2 OFFSET 2')).toEqual(all.slice(2, 4));
    expect(names('SELECT Name FROM Account ORDER BY Name OFFSET 4')).toEqual(all.slice(4));
    expect(run('SELECT Name FROM Account ORDER BY Name LIMIT 2 OFFSET 4').totalSize).toBe(1);
    expect(run('SELECT Name FROM Account LIMIT 0').totalSize).toBe(0);
    expect(run('SELECT Name FROM Account OFFSET 2000').records).toEqual([]);
    expect(names('SELECT Name FROM Account LIMIT 3')).toHaveLength(3);
  });

  it('gives the same first rows for a small LIMIT as for the full sort', () => {
    const full = ids('SELECT Id FROM Cal__c ORDER BY Day__c DESC, At__c');
    expect(full).toHaveLength(2 * 1856);
    expect(ids('SELECT Id FROM Cal__c ORDER BY Day__c DESC, At__c LIMIT 3')).toEqual(full.slice(0, 3));
    expect(ids('SELECT Id FROM Cal__c ORDER BY Day__c DESC, At__c LIMIT 5 OFFSET 7')).toEqual(full.slice(7, 12));
    expect(names('SELECT At__c FROM Cal__c ORDER BY At__c DESC LIMIT 1', 'At__c')).toEqual(['2026-06-30T23:59:59.999Z']);
    expect(names("SELECT At__c FROM Cal__c WHERE Day__c < 2022-01-01 ORDER BY At__c NULLS LAST LIMIT 2", 'At__c')).toEqual([
      '2021-06-01T00:00:00.000Z',
      '2021-06-01T23:59:59.999Z',
    ]);
  });

  it('rejects an OFFSET above 2000 with NUMBER_OUTSIDE_VALID_RANGE', () => {
    const error = compileError('SELECT Id FROM Account OFFSET 2001');
    expect(error.status).toBe(400);
    expect(error.errorCode).toBe('NUMBER_OUTSIDE_VALID_RANGE');
    expect(error.message).toBe(`${caret('SELECT Id FROM Account OFFSET 2001', 31)}Maximum SOQL offset allowed is 2000`);
  });
});

describe('SOQL engine: query and queryAll', () => {
  it('leaves deleted rows out of query and includes them, with IsDeleted true, in queryAll', () => {
    expect(ids('SELECT Id FROM Task')).not.toContain(deletedTask.id);
    expect(ids('SELECT Id FROM Task', true)).toContain(deletedTask.id);
    const query = compileSoql(`SELECT Id, IsDeleted, Owner.Email FROM Task WHERE Subject = 'Old task'`, ds);
    const result = executeSoql(query, ds, { scanAll: true });
    expect(result.records.map((r) => projectRecord(query, r, ds, '62.0'))).toEqual([
      {
        attributes: { type: 'Task', url: url(deletedTask) },
        Id: deletedTask.id,
        IsDeleted: true,
        Owner: { attributes: { type: 'User', url: url(ada) }, Email: 'ada@example.com' },
      },
    ]);
    expect(rows(`SELECT IsDeleted FROM Task WHERE Id = '${callJane.id}'`)[0]?.['IsDeleted']).toBe(false);
  });

  it('keeps a fixed result set: executing returns record references in their final order', () => {
    const result = run('SELECT Id FROM Account ORDER BY NumberOfEmployees DESC LIMIT 2');
    expect(result.records).toEqual([initech, acme]);
    expect(result.totalSize).toBe(2);
  });
});

describe('SOQL engine: errors', () => {
  it('answers an unknown object with INVALID_TYPE', () => {
    const error = compileError('SELECT Id FROM Foo');
    expect(error).toBeInstanceOf(SalesforceError);
    expect([error.status, error.errorCode]).toEqual([400, 'INVALID_TYPE']);
    expect(error.message).toBe(
      "\nSELECT Id FROM Foo\n               ^\nERROR at Row:1:Column:16\nsObject type 'Foo' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.",
    );
  });

  it('answers an unknown field with INVALID_FIELD, in SELECT, WHERE and ORDER BY', () => {
    const error = compileError('SELECT Foo FROM Account');
    expect([error.status, error.errorCode]).toEqual([400, 'INVALID_FIELD']);
    expect(error.message).toBe(
      "\nSELECT Foo FROM Account\n       ^\nERROR at Row:1:Column:8\nNo such column 'Foo' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
    );
    expect(compileError("SELECT Id FROM Account WHERE Bar__c = 'x'").message).toMatch(
      /^\nSELECT Id FROM Account WHERE Bar__c = 'x'\n {29}\^\nERROR at Row:1:Column:30\nNo such column 'Bar__c' on entity 'Account'\./,
    );
    expect(compileError('SELECT Id FROM Account ORDER BY Name, Baz').message).toContain("ERROR at Row:1:Column:39\nNo such column 'Baz' on entity 'Account'.");
    expect(compileError('SELECT Owner.Foo FROM Account').message).toContain("No such column 'Foo' on entity 'User'.");
  });

  it("names Salesforce's Name entity for an unknown field behind a polymorphic lookup", () => {
    expect(compileError('SELECT What.Nope FROM Task').message).toContain("No such column 'Nope' on entity 'Name'.");
  });

  it('answers an unknown relationship with INVALID_FIELD', () => {
    const error = compileError('SELECT Id, Foo.Name FROM Task');
    expect(error.errorCode).toBe('INVALID_FIELD');
    expect(error.message).toBe(
      `${caret('SELECT Id, Foo.Name FROM Task', 12)}Didn't understand relationship 'Foo' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
    expect(compileError('SELECT OwnerId.Email FROM Task').message).toContain("Didn't understand relationship 'OwnerId'");
  });

  it('answers syntax errors with MALFORMED_QUERY and the caret on the unexpected token', () => {
    const comma = compileError('SELECT Id, FROM Account');
    expect([comma.status, comma.errorCode]).toEqual([400, 'MALFORMED_QUERY']);
    expect(comma.message).toBe(`${caret('SELECT Id, FROM Account', 12)}unexpected token: 'FROM'`);
    expect(compileError("SELECT Id FROM Account WHERE Name = 'x' AND").message).toBe(
      `${caret("SELECT Id FROM Account WHERE Name = 'x' AND", 44)}unexpected token: '<EOF>'`,
    );
    expect(compileError('SELECT Id FROM Account LIMIT 5 OFFSET 1 WHERE Name = null').errorCode).toBe('MALFORMED_QUERY');
    const trailing = "SELECT Name FROM Account WHERE Name = 'a' AND Name = 'b' AND";
    expect(compileError(trailing).message).toContain(`Column:${trailing.length + 1}\nunexpected token: '<EOF>'`);
  });

  it('requires parentheses when AND and OR are mixed, and around a NOT that follows AND/OR', () => {
    const mixed = "SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'";
    expect(compileError(mixed).message).toBe(`${caret(mixed, 56)}unexpected token: 'OR'`);
    const not = "SELECT Id FROM Account WHERE Name = 'a' AND NOT Name = 'b'";
    expect(compileError(not).message).toBe(`${caret(not, 45)}unexpected token: 'NOT'`);
    expect(compileError("SELECT Id FROM Account WHERE NOT Name = 'a' AND Name = 'b'").message).toContain("unexpected token: 'AND'");
  });

  it('reports the row and column of multi-line queries', () => {
    const soql = "SELECT Id,\n  Nme\nFROM Account\nWHERE Name = 'x'";
    expect(compileError(soql).message).toBe(
      `${caret('  Nme', 3, 2)}No such column 'Nme' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  });

  it('checks literal types against field types with Salesforce messages', () => {
    const date = compileError("SELECT Id FROM Contact WHERE Birthdate = '2024-01-01'");
    expect(date.errorCode).toBe('INVALID_FIELD');
    expect(date.message).toBe(
      `${caret("SELECT Id FROM Contact WHERE Birthdate = '2024-01-01'", 30)}value of filter criterion for field 'Birthdate' must be of type date and should not be enclosed in quotes`,
    );
    expect(compileError('SELECT Id FROM Contact WHERE Birthdate > 2024-01-01T00:00:00Z').message).toContain(
      "value of filter criterion for field 'Birthdate' must be of type date and should not be enclosed in quotes",
    );
    expect(compileError('SELECT Id FROM Account WHERE CreatedDate > 2024-01-01').message).toContain(
      "value of filter criterion for field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes",
    );
    expect(compileError('SELECT Id FROM Account WHERE Name = 5').message).toContain(
      "value of filter criterion for field 'Name' must be of type string and should be enclosed in quotes",
    );
    expect(compileError("SELECT Id FROM Account WHERE NumberOfEmployees = '5'").message).toContain('must be of type integer and should not be enclosed in quotes');
    expect(compileError("SELECT Id FROM User WHERE IsActive = 'true'").message).toContain('must be of type boolean and should not be enclosed in quotes');
    expect(compileError('SELECT Id FROM Account WHERE Name = TODAY').message).toContain('must be of type string');
    expect(compileError("SELECT Id FROM Task WHERE Owner.IsActive = 'x'").message).toContain("field 'Owner.IsActive' must be of type boolean");
    expect(compileError('SELECT Id FROM Account WHERE NumberOfEmployees = USD5').errorCode).toBe('INVALID_FIELD');
  });

  it('rejects invalid IDs and operators the field type does not support', () => {
    const badId = compileError("SELECT Id FROM Account WHERE Id = 'foo'");
    expect([badId.errorCode, badId.message]).toEqual([
      'INVALID_QUERY_FILTER_OPERATOR',
      `${caret("SELECT Id FROM Account WHERE Id = 'foo'", 30)}invalid ID field: foo`,
    ]);
    expect(compileError("SELECT Id FROM Task WHERE Subject INCLUDES ('a')").message).toContain('includes or excludes operator only valid on multipicklist field');
    expect(compileError("SELECT Id FROM Task WHERE Channels__c LIKE 'a%'").message).toContain('invalid operator on multipicklist field');
    expect(compileError("SELECT Id FROM Account WHERE NumberOfEmployees LIKE '5'").errorCode).toBe('INVALID_QUERY_FILTER_OPERATOR');
    expect(compileError("SELECT Id FROM Account WHERE Name IN 'Acme'").errorCode).toBe('MALFORMED_QUERY');
  });

  it('refuses to filter or sort on fields that are not filterable or sortable', () => {
    expect(compileError("SELECT Id FROM Account WHERE Description = 'x'").message).toContain("field 'Description' can not be filtered in query call");
    expect(compileError('SELECT Id FROM Account ORDER BY Description').message).toContain("field 'Description' can not be sorted in a query call");
  });

  it('rejects malformed literals', () => {
    const escape = compileError("SELECT Id FROM Account WHERE Name = 'a\\qb'");
    expect(escape.errorCode).toBe('MALFORMED_QUERY');
    expect(escape.message).toContain("Illegal character sequence '\\q' in string literal");
    expect(escape.message).toContain('Column:37');
    expect(compileError("SELECT Id FROM Account WHERE Name = '10\\%'").message).toContain("Illegal character sequence '\\%'");
    expect(compileError('SELECT Id FROM Contact WHERE Birthdate = 2024-02-30').message).toContain('Invalid date: 2024-02-30');
  });

  it('rejects aliases, duplicate fields and COUNT() mixed with fields', () => {
    expect(compileError('SELECT Id Foo FROM Account').message).toBe(`${caret('SELECT Id Foo FROM Account', 11)}Only aggregate expressions use field aliasing`);
    expect(compileError('SELECT Id, Name, name FROM Account').message).toBe(`${caret('SELECT Id, Name, name FROM Account', 18)}duplicate field selected: Name`);
    expect(compileError('SELECT Id, COUNT() FROM Account').errorCode).toBe('MALFORMED_QUERY');
  });

  it('says plainly which SOQL features the sandbox does not implement', () => {
    for (const soql of [
      'SELECT Id, (SELECT Id FROM Contacts) FROM Account',
      'SELECT COUNT(Id) FROM Account',
      'SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry',
      'SELECT Id FROM Contact WHERE AccountId IN (SELECT Id FROM Account)',
      'SELECT Id FROM Account WHERE DAY_ONLY(CreatedDate) = TODAY',
      'SELECT FIELDS(ALL) FROM Account LIMIT 200',
      'SELECT TYPEOF What WHEN Account THEN Name END FROM Task',
      'SELECT Id FROM Account FOR UPDATE',
    ]) {
      const error = compileError(soql);
      expect([soql, error.status, error.errorCode]).toEqual([soql, 400, 'MALFORMED_QUERY']);
      expect(error.message).toMatch(/is not supported by the hubsync Salesforce sandbox$/);
    }
    expect(compileError('SELECT Id, (SELECT Id FROM Contacts) FROM Account').message).toContain('Column:12');
  });

  it('accepts clauses that only concern permissions or view tracking', () => {
    expect(ids("SELECT Id FROM Account WHERE Name = 'Acme' WITH SECURITY_ENFORCED")).toEqual([acme.id]);
    expect(ids("SELECT Id FROM Account WHERE Name = 'Acme' FOR VIEW")).toEqual([acme.id]);
  });
});

describe('SOQL engine: scale', () => {
  it('filters and sorts 100,000 rows in one pass', () => {
    const user = record('User', { Name: 'U', Email: 'u@example.com', IsActive: true, ManagerId: null });
    const tasks: StoredRecord[] = [];
    const base = Date.UTC(2024, 0, 1);
    for (let i = 0; i < 100_000; i++) {
      const at = new Date(base + ((i * 7919) % 100_000) * 60_000).toISOString();
      tasks.push(record('Task', { Subject: `T${i}`, Status: 'Not Started', OwnerId: user.id, SystemModstamp: at, LastModifiedDate: at, ActivityDate: at.slice(0, 10) }, i % 10 === 0));
    }
    const big = new MemoryDataSource(SCHEMAS, [user, ...tasks], NOW);
    const started = Date.now();
    const query = compileSoql(
      'SELECT Id, Subject, Status, ActivityDate, LastModifiedDate, Owner.Email FROM Task WHERE SystemModstamp >= 2024-01-02T00:00:00Z ORDER BY SystemModstamp, Id',
      big,
    );
    const result = executeSoql(query, big, { scanAll: false });
    const elapsed = Date.now() - started;
    const expected = tasks.filter((t) => !t.isDeleted && (t.fields['SystemModstamp'] as string) >= '2024-01-02T00:00:00.000Z');
    expect(result.totalSize).toBe(expected.length);
    const stamps = result.records.map((r) => r.fields['SystemModstamp'] as string);
    expect(stamps).toEqual([...stamps].sort());
    expect(projectRecord(query, result.records[0] as StoredRecord, big, '62.0')).toMatchObject({ Owner: { Email: 'u@example.com' } });
    // About 60 ms on a laptop; the bound only catches a regression to per-row interpretation.
    expect(elapsed).toBeLessThan(3000);
  });
});
