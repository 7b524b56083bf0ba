/**
 * The tables the sandbox serves (account, contact, systemuser): their columns as Dataverse defines them (types,
 * lengths, option sets, lookups and their navigation properties, what is valid for create/update/read), the
 * alternate key on account, and the custom columns hubsync uses (publisher prefix `hubsync_`).
 *
 * Sources: the Web API reference pages "account EntityType", "contact EntityType", "systemuser EntityType" and
 * the table/column reference ("Account (Account) table/entity reference": industrycode's options, lengths,
 * required levels); "Define alternate keys for a table"; "Work with choice columns" (custom option values start
 * at the publisher's prefix, 100000000); "Multi-select choices" for hubsync_products.
 */

export type ColumnType =
  | 'Uniqueidentifier'
  | 'String'
  | 'Memo'
  | 'Integer'
  | 'BigInt'
  | 'Money'
  | 'Picklist'
  | 'MultiSelectPicklist'
  | 'State'
  | 'Status'
  | 'DateTime'
  | 'Boolean'
  | 'Lookup'
  | 'Owner'
  | 'Customer'
  | 'Virtual';

export interface OptionDef {
  value: number;
  label: string;
  /** statuscode options: the statecode they belong to; statecode options: their default statuscode. */
  state?: number;
  defaultStatus?: number;
}

export interface ColumnDef {
  name: string;
  schemaName: string;
  displayName: string;
  type: ColumnType;
  required?: 'None' | 'ApplicationRequired' | 'SystemRequired' | 'Recommended';
  maxLength?: number;
  options?: OptionDef[];
  /** Lookups: the tables a value may point at. */
  targets?: string[];
  /** Lookups: single-valued navigation property per target table (`ownerid`, `parentcustomerid_account`). */
  navigation?: Record<string, string>;
  createable?: boolean;
  updateable?: boolean;
  /** False for the virtual name columns (`owneridname`): in the metadata, not a Web API property. */
  webApi?: boolean;
  custom?: boolean;
  /** Virtual columns: the column they describe. */
  attributeOf?: string;
  /** A Boolean's labels: [false, true]. */
  booleanLabels?: [string, string];
}

export interface TableDef {
  logicalName: string;
  schemaName: string;
  entitySetName: string;
  displayName: string;
  displayCollectionName: string;
  objectTypeCode: number;
  primaryId: string;
  primaryName: string;
  changeTracking: boolean;
  /** Written only by the admin API (hubsync's application user has no write privilege on it). */
  readOnly?: boolean;
  alternateKeys: { logicalName: string; schemaName: string; displayName: string; columns: string[] }[];
  columns: ColumnDef[];
  /** Navigation properties name → column, for $expand and @odata.bind. */
  byNavigation: Map<string, { column: ColumnDef; target: string }>;
  byName: Map<string, ColumnDef>;
}

const INDUSTRIES = [
  'Accounting',
  'Agriculture and Non-petrol Natural Resource Extraction',
  'Broadcasting Printing and Publishing',
  'Brokers',
  'Building Supply Retail',
  'Business Services',
  'Consulting',
  'Consumer Services',
  'Design, Direction and Creative Management',
  'Distributors, Dispatchers and Processors',
  "Doctor's Offices and Clinics",
  'Durable Manufacturing',
  'Eating and Drinking Places',
  'Entertainment Retail',
  'Equipment Rental and Leasing',
  'Financial',
  'Food and Tobacco Processing',
  'Inbound Capital Intensive Processing',
  'Inbound Repair and Services',
  'Insurance',
  'Legal Services',
  'Non-Durable Merchandise Retail',
  'Outbound Consumer Service',
  'Petrochemical Extraction and Distribution',
  'Service Retail',
  'SIG Affiliations',
  'Social Services',
  'Special Outbound Trade Contractors',
  'Specialty Realty',
  'Transportation',
  'Utility Creation and Distribution',
  'Vehicle Retail',
  'Wholesale',
];
export const INDUSTRY_OPTIONS: OptionDef[] = INDUSTRIES.map((label, i) => ({ value: i + 1, label }));
export const TIER_OPTIONS: OptionDef[] = ['Tier 1', 'Tier 2', 'Tier 3'].map((label, i) => ({ value: 100_000_000 + i, label }));
export const PRODUCT_OPTIONS: OptionDef[] = ['Analytics', 'Automation', 'Engage', 'Insights', 'Platform'].map((label, i) => ({ value: 100_000_000 + i, label }));

const STATE: OptionDef[] = [
  { value: 0, label: 'Active', defaultStatus: 1 },
  { value: 1, label: 'Inactive', defaultStatus: 2 },
];
const STATUS: OptionDef[] = [
  { value: 1, label: 'Active', state: 0 },
  { value: 2, label: 'Inactive', state: 1 },
];

const readOnly = { createable: false, updateable: false } as const;
const id = (table: string, schema: string, display: string): ColumnDef => ({ name: `${table}id`, schemaName: `${schema}Id`, displayName: display, type: 'Uniqueidentifier', required: 'SystemRequired', createable: true, updateable: false });
const str = (name: string, schemaName: string, displayName: string, maxLength: number, extra: Partial<ColumnDef> = {}): ColumnDef => ({ name, schemaName, displayName, type: 'String', maxLength, ...extra });

/** Columns every user-owned table has: owner, state, audit stamps and the row version. */
function common(withOwner: boolean): ColumnDef[] {
  return [
    ...(withOwner
      ? [
          { name: 'ownerid', schemaName: 'OwnerId', displayName: 'Owner', type: 'Owner', required: 'SystemRequired', targets: ['systemuser', 'team'], navigation: { systemuser: 'ownerid' } } satisfies ColumnDef,
          { name: 'owninguser', schemaName: 'OwningUser', displayName: 'Owning User', type: 'Lookup', targets: ['systemuser'], navigation: { systemuser: 'owninguser' }, ...readOnly } satisfies ColumnDef,
          { name: 'owneridname', schemaName: 'OwnerIdName', displayName: '', type: 'String', maxLength: 100, attributeOf: 'ownerid', webApi: false, ...readOnly } satisfies ColumnDef,
          { name: 'statecode', schemaName: 'StateCode', displayName: 'Status', type: 'State', required: 'SystemRequired', options: STATE, createable: false, updateable: true } satisfies ColumnDef,
          { name: 'statuscode', schemaName: 'StatusCode', displayName: 'Status Reason', type: 'Status', options: STATUS } satisfies ColumnDef,
        ]
      : []),
    { name: 'createdon', schemaName: 'CreatedOn', displayName: 'Created On', type: 'DateTime', ...readOnly },
    { name: 'modifiedon', schemaName: 'ModifiedOn', displayName: 'Modified On', type: 'DateTime', ...readOnly },
    { name: 'createdby', schemaName: 'CreatedBy', displayName: 'Created By', type: 'Lookup', targets: ['systemuser'], navigation: { systemuser: 'createdby' }, ...readOnly },
    { name: 'modifiedby', schemaName: 'ModifiedBy', displayName: 'Modified By', type: 'Lookup', targets: ['systemuser'], navigation: { systemuser: 'modifiedby' }, ...readOnly },
    { name: 'versionnumber', schemaName: 'VersionNumber', displayName: 'Version Number', type: 'BigInt', ...readOnly },
  ];
}

function table(def: Omit<TableDef, 'byNavigation' | 'byName'>): TableDef {
  const byNavigation = new Map<string, { column: ColumnDef; target: string }>();
  const byName = new Map<string, ColumnDef>();
  for (const column of def.columns) {
    byName.set(column.name, column);
    for (const [target, nav] of Object.entries(column.navigation ?? {})) byNavigation.set(nav, { column, target });
  }
  return { ...def, byNavigation, byName };
}

export const ACCOUNT = table({
  logicalName: 'account',
  schemaName: 'Account',
  entitySetName: 'accounts',
  displayName: 'Account',
  displayCollectionName: 'Accounts',
  objectTypeCode: 1,
  primaryId: 'accountid',
  primaryName: 'name',
  changeTracking: true,
  alternateKeys: [{ logicalName: 'hubsync_accountnumberkey', schemaName: 'hubsync_AccountNumberKey', displayName: 'Account Number', columns: ['accountnumber'] }],
  columns: [
    id('account', 'Account', 'Account'),
    str('name', 'Name', 'Account Name', 160, { required: 'ApplicationRequired' }),
    str('accountnumber', 'AccountNumber', 'Account Number', 20),
    str('telephone1', 'Telephone1', 'Main Phone', 50),
    str('websiteurl', 'WebSiteURL', 'Website', 200),
    { name: 'industrycode', schemaName: 'IndustryCode', displayName: 'Industry', type: 'Picklist', options: INDUSTRY_OPTIONS },
    { name: 'industrycodename', schemaName: 'IndustryCodeName', displayName: '', type: 'Virtual', attributeOf: 'industrycode', webApi: false, ...readOnly },
    { name: 'hubsync_tier', schemaName: 'hubsync_Tier', displayName: 'Tier', type: 'Picklist', options: TIER_OPTIONS, custom: true },
    { name: 'hubsync_products', schemaName: 'hubsync_Products', displayName: 'Products', type: 'MultiSelectPicklist', options: PRODUCT_OPTIONS, custom: true },
    { name: 'revenue', schemaName: 'Revenue', displayName: 'Annual Revenue', type: 'Money' },
    { name: 'numberofemployees', schemaName: 'NumberOfEmployees', displayName: 'Number of Employees', type: 'Integer' },
    { name: 'description', schemaName: 'Description', displayName: 'Description', type: 'Memo', maxLength: 2000 },
    { name: 'parentaccountid', schemaName: 'ParentAccountId', displayName: 'Parent Account', type: 'Lookup', targets: ['account'], navigation: { account: 'parentaccountid' } },
    { name: 'parentaccountidname', schemaName: 'ParentAccountIdName', displayName: '', type: 'String', maxLength: 100, attributeOf: 'parentaccountid', webApi: false, ...readOnly },
    ...common(true),
  ],
});

export const CONTACT = table({
  logicalName: 'contact',
  schemaName: 'Contact',
  entitySetName: 'contacts',
  displayName: 'Contact',
  displayCollectionName: 'Contacts',
  objectTypeCode: 2,
  primaryId: 'contactid',
  primaryName: 'fullname',
  changeTracking: true,
  alternateKeys: [],
  columns: [
    id('contact', 'Contact', 'Contact'),
    str('firstname', 'FirstName', 'First Name', 50, { required: 'Recommended' }),
    str('lastname', 'LastName', 'Last Name', 50, { required: 'ApplicationRequired' }),
    // Computed from first and last name by the platform (contact reference: IsValidForCreate/Update false).
    str('fullname', 'FullName', 'Full Name', 160, readOnly),
    str('emailaddress1', 'EMailAddress1', 'Email', 100),
    str('telephone1', 'Telephone1', 'Business Phone', 50),
    str('jobtitle', 'JobTitle', 'Job Title', 100),
    {
      name: 'parentcustomerid',
      schemaName: 'ParentCustomerId',
      displayName: 'Company Name',
      type: 'Customer',
      targets: ['account', 'contact'],
      navigation: { account: 'parentcustomerid_account', contact: 'parentcustomerid_contact' },
    },
    str('parentcustomeridname', 'ParentCustomerIdName', '', 160, { attributeOf: 'parentcustomerid', webApi: false, ...readOnly }),
    ...common(true),
  ],
});

export const SYSTEMUSER = table({
  logicalName: 'systemuser',
  schemaName: 'SystemUser',
  entitySetName: 'systemusers',
  displayName: 'User',
  displayCollectionName: 'Users',
  objectTypeCode: 8,
  primaryId: 'systemuserid',
  primaryName: 'fullname',
  // Off in the sandbox so that the change-tracking refusal can be seen [infer: environments differ].
  changeTracking: false,
  readOnly: true,
  alternateKeys: [],
  columns: [
    id('systemuser', 'SystemUser', 'User'),
    str('fullname', 'FullName', 'Full Name', 200, readOnly),
    str('firstname', 'FirstName', 'First Name', 64),
    str('lastname', 'LastName', 'Last Name', 64),
    str('internalemailaddress', 'InternalEMailAddress', 'Primary Email', 100),
    str('domainname', 'DomainName', 'User Name', 1024, { required: 'SystemRequired' }),
    str('title', 'Title', 'Title', 128),
    { name: 'isdisabled', schemaName: 'IsDisabled', displayName: 'Status', type: 'Boolean', booleanLabels: ['Enabled', 'Disabled'], ...readOnly },
    { name: 'applicationid', schemaName: 'ApplicationId', displayName: 'Application ID', type: 'Uniqueidentifier' },
    {
      name: 'accessmode',
      schemaName: 'AccessMode',
      displayName: 'Access Mode',
      type: 'Picklist',
      options: [
        { value: 0, label: 'Read-Write' },
        { value: 4, label: 'Non-interactive' },
      ],
    },
    ...common(false),
  ],
});

export const TABLES: TableDef[] = [ACCOUNT, CONTACT, SYSTEMUSER];
const BY_SET = new Map(TABLES.map((t) => [t.entitySetName, t]));
const BY_LOGICAL = new Map(TABLES.map((t) => [t.logicalName, t]));

/** The table of an entity set name (`accounts`); case-sensitive, as Dataverse's resource segments are. */
export const tableBySet = (set: string): TableDef | undefined => BY_SET.get(set);
export const tableByLogicalName = (name: string): TableDef | undefined => BY_LOGICAL.get(name);
/** For the admin API: `account` or `accounts`. */
export const tableByAnyName = (name: string): TableDef | undefined => BY_LOGICAL.get(name.toLowerCase()) ?? BY_SET.get(name.toLowerCase());

export const isLookup = (c: ColumnDef) => c.type === 'Lookup' || c.type === 'Owner' || c.type === 'Customer';
/** The Web API property of a column: lookups read as `_x_value`. */
export const propertyName = (c: ColumnDef) => (isLookup(c) ? `_${c.name}_value` : c.name);

/** The column behind a Web API property name (`name`, `_ownerid_value`); virtual name columns are not properties. */
export function columnOfProperty(t: TableDef, property: string): ColumnDef | undefined {
  const lookup = /^_(.+)_value$/.exec(property);
  const column = t.byName.get(lookup ? (lookup[1] ?? '') : property);
  if (!column || column.webApi === false) return undefined;
  if (isLookup(column) !== Boolean(lookup)) return undefined;
  return column;
}

/** The Web API properties of a table in column order. */
export const webProperties = (t: TableDef): ColumnDef[] => t.columns.filter((c) => c.webApi !== false);
