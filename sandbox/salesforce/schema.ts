/**
 * Object and field metadata of the sandbox org: the standard objects hubsync touches (User, Account, Contact,
 * Task, Event, plus Group, Organization, TaskStatus and TaskPriority), with the properties `describe` reports
 * for them in a real org, and the custom fields and objects the admin API defines.
 */
import { compileFormula, FORMULA_FIELD_TYPES, FormulaError, TEXT_FORMULA_LENGTH, type CompiledFormula, type FormulaReturnType } from './formula';
import { customObjectKeyPrefix, KEY_PREFIX } from './ids';
import { SalesforceError, type FieldSchema, type FieldType, type ObjectSchema, type PicklistValue } from './model';

/** A field as the sandbox keeps it: the SOQL contract plus what describe and validation need. */
export interface FieldDef extends FieldSchema {
  restrictedPicklist: boolean;
  precision: number;
  scale: number;
  digits: number;
  caseSensitive: boolean;
  nameField: boolean;
  autoNumber: boolean;
  idLookup: boolean;
  /** The value a create gets when the field is absent (describe's defaultValue). */
  defaultValue: string | number | boolean | null;
  /** The name of the child relationship this lookup creates on the parent, e.g. `Contacts` for Contact.AccountId. */
  childRelationshipName: string | null;
  cascadeDelete: boolean;
  /** Formula fields (`calculated`): the compiled formula the sandbox recomputes the value with on every save. */
  formula: CompiledFormula | null;
}

export interface ObjectDef extends ObjectSchema {
  fields: FieldDef[];
  createable: boolean;
  updateable: boolean;
  deletable: boolean;
  queryable: boolean;
  /** Custom objects with "Allow Activities": Task/Event WhatId may point to them. */
  allowActivities: boolean;
}

export const TASK_STATUSES: PicklistValue[] = [
  { value: 'Not Started', label: 'Not Started', active: true, defaultValue: true, closed: false },
  { value: 'In Progress', label: 'In Progress', active: true, defaultValue: false, closed: false },
  { value: 'Completed', label: 'Completed', active: true, defaultValue: false, closed: true },
  { value: 'Waiting on someone else', label: 'Waiting on someone else', active: true, defaultValue: false, closed: false },
  { value: 'Deferred', label: 'Deferred', active: true, defaultValue: false, closed: false },
];

/** TaskPriority values; `High` is the one whose IsHighPriority flag is set. */
export const TASK_PRIORITIES: PicklistValue[] = picklist(['High', 'Normal', 'Low'], 'Normal');
export const HIGH_PRIORITIES = new Set(['High']);

export function picklist(values: string[], defaultValue?: string): PicklistValue[] {
  return values.map((value) => ({ value, label: value, active: true, defaultValue: value === defaultValue }));
}

const STRING_TYPES = new Set<FieldType>(['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist', 'combobox']);

export function isStringType(type: FieldType): boolean {
  return STRING_TYPES.has(type);
}

type FieldOptions = Partial<Omit<FieldDef, 'name' | 'type' | 'label'>>;

export function field(name: string, type: FieldType, label: string, opts: FieldOptions = {}): FieldDef {
  const defaultLength = type === 'id' || type === 'reference' ? 18 : isStringType(type) ? (type === 'textarea' ? 32000 : 255) : 0;
  const sortable = type !== 'textarea' && type !== 'multipicklist';
  return {
    name,
    label,
    type,
    length: opts.length ?? defaultLength,
    nillable: opts.nillable ?? (type !== 'boolean' && type !== 'id'),
    createable: opts.createable ?? true,
    updateable: opts.updateable ?? opts.createable ?? true,
    filterable: opts.filterable ?? type !== 'textarea',
    sortable: opts.sortable ?? sortable,
    defaultedOnCreate: opts.defaultedOnCreate ?? type === 'boolean',
    externalId: opts.externalId ?? false,
    unique: opts.unique ?? false,
    custom: opts.custom ?? name.endsWith('__c'),
    calculated: opts.calculated ?? false,
    referenceTo: opts.referenceTo ?? [],
    relationshipName: opts.relationshipName ?? null,
    picklistValues: opts.picklistValues ?? [],
    restrictedPicklist: opts.restrictedPicklist ?? false,
    precision: opts.precision ?? 0,
    scale: opts.scale ?? 0,
    digits: opts.digits ?? (type === 'int' ? 9 : 0),
    caseSensitive: opts.caseSensitive ?? false,
    nameField: opts.nameField ?? false,
    autoNumber: opts.autoNumber ?? false,
    idLookup: opts.idLookup ?? (type === 'id' || (opts.externalId ?? false)),
    defaultValue: opts.defaultValue ?? (type === 'boolean' ? false : null),
    childRelationshipName: opts.childRelationshipName ?? null,
    cascadeDelete: opts.cascadeDelete ?? false,
    formula: opts.formula ?? null,
  };
}

/** Platform-maintained, read-only. */
const readOnly = { createable: false, updateable: false } as const;

function idField(): FieldDef {
  return field('Id', 'id', 'Record ID', { ...readOnly, defaultedOnCreate: true, nillable: false });
}

function auditFields(): FieldDef[] {
  const userRef = (name: string, label: string, rel: string) =>
    field(name, 'reference', label, { ...readOnly, nillable: false, defaultedOnCreate: true, referenceTo: ['User'], relationshipName: rel });
  const stamp = (name: string, label: string) => field(name, 'datetime', label, { ...readOnly, nillable: false, defaultedOnCreate: true });
  return [
    field('IsDeleted', 'boolean', 'Deleted', { ...readOnly }),
    stamp('CreatedDate', 'Created Date'),
    userRef('CreatedById', 'Created By ID', 'CreatedBy'),
    stamp('LastModifiedDate', 'Last Modified Date'),
    userRef('LastModifiedById', 'Last Modified By ID', 'LastModifiedBy'),
    stamp('SystemModstamp', 'System Modstamp'),
  ];
}

function ownerField(referenceTo: string[]): FieldDef {
  // "OwnerId ... defaulted on create": the running user when the request leaves it out.
  return field('OwnerId', 'reference', referenceTo.length > 1 ? 'Assigned To ID' : 'Owner ID', {
    nillable: false,
    defaultedOnCreate: true,
    referenceTo,
    relationshipName: 'Owner',
  });
}

function objectDef(name: string, label: string, labelPlural: string, keyPrefix: string, fields: FieldDef[], opts: Partial<ObjectDef> = {}): ObjectDef {
  return {
    name,
    label,
    labelPlural,
    keyPrefix,
    custom: opts.custom ?? false,
    fields,
    createable: opts.createable ?? true,
    updateable: opts.updateable ?? true,
    deletable: opts.deletable ?? true,
    queryable: opts.queryable ?? true,
    allowActivities: opts.allowActivities ?? false,
  };
}

const TIME_ZONES = ['America/Los_Angeles', 'America/Chicago', 'America/New_York', 'Europe/London', 'Europe/Paris', 'Europe/Berlin', 'Asia/Tokyo', 'Australia/Sydney', 'GMT'];

function userObject(): ObjectDef {
  const defaulted = { nillable: false, defaultedOnCreate: true, restrictedPicklist: true };
  return objectDef('User', 'User', 'Users', KEY_PREFIX.user, [
    idField(),
    field('Username', 'string', 'Username', { length: 80, nillable: false, unique: true, idLookup: true }),
    field('LastName', 'string', 'Last Name', { length: 80, nillable: false }),
    field('FirstName', 'string', 'First Name', { length: 40 }),
    field('Name', 'string', 'Full Name', { ...readOnly, length: 121, nillable: false, nameField: true, defaultedOnCreate: true }),
    field('CompanyName', 'string', 'Company Name', { length: 80 }),
    field('Title', 'string', 'Title', { length: 80 }),
    field('Department', 'string', 'Department', { length: 80 }),
    field('Email', 'email', 'Email', { length: 128, nillable: false, idLookup: true }),
    field('Phone', 'phone', 'Phone', { length: 40 }),
    field('Alias', 'string', 'Alias', { length: 8, nillable: false, defaultedOnCreate: true }),
    field('CommunityNickname', 'string', 'Nickname', { length: 40, defaultedOnCreate: true, idLookup: true }),
    field('IsActive', 'boolean', 'Active', { defaultValue: true }),
    field('TimeZoneSidKey', 'picklist', 'Time Zone', { ...defaulted, length: 40, picklistValues: picklist(TIME_ZONES, 'America/Los_Angeles') }),
    field('LocaleSidKey', 'picklist', 'Locale', { ...defaulted, length: 40, picklistValues: picklist(['en_US', 'en_GB', 'fr_FR', 'de_DE', 'ja_JP'], 'en_US') }),
    field('EmailEncodingKey', 'picklist', 'Email Encoding', { ...defaulted, length: 40, picklistValues: picklist(['UTF-8', 'ISO-8859-1'], 'UTF-8') }),
    field('LanguageLocaleKey', 'picklist', 'Language', { ...defaulted, length: 40, picklistValues: picklist(['en_US', 'fr', 'de', 'ja'], 'en_US') }),
    field('UserType', 'picklist', 'User Type', { ...readOnly, defaultedOnCreate: true, restrictedPicklist: true, length: 40, picklistValues: picklist(['Standard', 'AutomatedProcess'], 'Standard') }),
    field('ManagerId', 'reference', 'Manager ID', { referenceTo: ['User'], relationshipName: 'Manager' }),
    field('LastLoginDate', 'datetime', 'Last Login', { ...readOnly }),
    ...auditFields(),
  ], { deletable: false });
}

const INDUSTRIES = [
  'Agriculture', 'Apparel', 'Banking', 'Biotechnology', 'Chemicals', 'Communications', 'Construction', 'Consulting', 'Education',
  'Electronics', 'Energy', 'Engineering', 'Entertainment', 'Environmental', 'Finance', 'Food & Beverage', 'Government', 'Healthcare',
  'Hospitality', 'Insurance', 'Machinery', 'Manufacturing', 'Media', 'Not For Profit', 'Recreation', 'Retail', 'Shipping',
  'Technology', 'Telecommunications', 'Transportation', 'Utilities', 'Other',
];

export const ACCOUNT_TYPES = ['Prospect', 'Customer - Direct', 'Customer - Channel', 'Channel Partner / Reseller', 'Installation Partner', 'Technology Partner', 'Other'];

function accountObject(): ObjectDef {
  return objectDef('Account', 'Account', 'Accounts', KEY_PREFIX.account, [
    idField(),
    field('Name', 'string', 'Account Name', { nillable: false, nameField: true }),
    field('Type', 'picklist', 'Account Type', { length: 255, picklistValues: picklist(ACCOUNT_TYPES) }),
    field('ParentId', 'reference', 'Parent Account ID', { referenceTo: ['Account'], relationshipName: 'Parent', childRelationshipName: 'ChildAccounts' }),
    field('BillingStreet', 'textarea', 'Billing Street', { length: 255, filterable: true }),
    field('BillingCity', 'string', 'Billing City', { length: 40 }),
    field('BillingState', 'string', 'Billing State/Province', { length: 80 }),
    field('BillingPostalCode', 'string', 'Billing Zip/Postal Code', { length: 20 }),
    field('BillingCountry', 'string', 'Billing Country', { length: 80 }),
    field('Phone', 'phone', 'Account Phone', { length: 40 }),
    field('Website', 'url', 'Website'),
    field('Industry', 'picklist', 'Industry', { picklistValues: picklist(INDUSTRIES) }),
    field('Rating', 'picklist', 'Account Rating', { picklistValues: picklist(['Hot', 'Warm', 'Cold']) }),
    field('AnnualRevenue', 'currency', 'Annual Revenue', { precision: 18, scale: 0 }),
    field('NumberOfEmployees', 'int', 'Employees', { digits: 8 }),
    field('AccountNumber', 'string', 'Account Number', { length: 40 }),
    field('Description', 'textarea', 'Account Description'),
    ownerField(['User']),
    ...auditFields(),
    field('LastActivityDate', 'date', 'Last Activity', { ...readOnly }),
  ]);
}

function contactObject(): ObjectDef {
  return objectDef('Contact', 'Contact', 'Contacts', KEY_PREFIX.contact, [
    idField(),
    field('AccountId', 'reference', 'Account ID', { referenceTo: ['Account'], relationshipName: 'Account', childRelationshipName: 'Contacts', cascadeDelete: true }),
    field('LastName', 'string', 'Last Name', { length: 80, nillable: false }),
    field('FirstName', 'string', 'First Name', { length: 40 }),
    field('Salutation', 'picklist', 'Salutation', { length: 40, picklistValues: picklist(['Mr.', 'Ms.', 'Mrs.', 'Dr.', 'Prof.']) }),
    field('Name', 'string', 'Full Name', { ...readOnly, length: 121, nillable: false, nameField: true, defaultedOnCreate: true }),
    field('Title', 'string', 'Title', { length: 128 }),
    field('Department', 'string', 'Department', { length: 80 }),
    field('Email', 'email', 'Email', { length: 80, idLookup: true }),
    field('Phone', 'phone', 'Business Phone', { length: 40 }),
    field('MobilePhone', 'phone', 'Mobile Phone', { length: 40 }),
    field('MailingCity', 'string', 'Mailing City', { length: 40 }),
    field('MailingCountry', 'string', 'Mailing Country', { length: 80 }),
    field('LeadSource', 'picklist', 'Lead Source', { length: 255, picklistValues: picklist(['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other']) }),
    field('Description', 'textarea', 'Contact Description'),
    ownerField(['User']),
    ...auditFields(),
    field('LastActivityDate', 'date', 'Last Activity', { ...readOnly }),
  ]);
}

/** WhoId/WhatId: polymorphic lookups whose targets grow with custom objects that allow activities. */
function whoWhatFields(childRelationshipName: string): FieldDef[] {
  return [
    field('WhoId', 'reference', 'Name ID', { referenceTo: ['Contact'], relationshipName: 'Who', childRelationshipName, cascadeDelete: true }),
    field('WhatId', 'reference', 'Related To ID', { referenceTo: ['Account'], relationshipName: 'What', childRelationshipName, cascadeDelete: true }),
  ];
}

function accountIdOfActivity(): FieldDef {
  // "AccountId ... Properties: Filter, Group, Nillable, Sort" (no Create/Update): derived from WhatId or a Contact WhoId.
  return field('AccountId', 'reference', 'Account ID', { ...readOnly, referenceTo: ['Account'], relationshipName: 'Account' });
}

function taskObject(): ObjectDef {
  return objectDef('Task', 'Task', 'Tasks', KEY_PREFIX.task, [
    idField(),
    ...whoWhatFields('Tasks'),
    field('Subject', 'combobox', 'Subject', { nameField: true, picklistValues: picklist(['Call', 'Send Letter', 'Send Quote', 'Other']) }),
    field('ActivityDate', 'date', 'Due Date Only'),
    field('Status', 'picklist', 'Status', { length: 40, nillable: false, defaultedOnCreate: true, restrictedPicklist: true, picklistValues: TASK_STATUSES, defaultValue: 'Not Started' }),
    field('Priority', 'picklist', 'Priority', { length: 40, nillable: false, defaultedOnCreate: true, restrictedPicklist: true, picklistValues: TASK_PRIORITIES, defaultValue: 'Normal' }),
    field('IsHighPriority', 'boolean', 'High Priority', { ...readOnly }),
    ownerField(['Group', 'User']),
    field('Description', 'textarea', 'Description'),
    field('Type', 'picklist', 'Type', { length: 40, picklistValues: picklist(['Call', 'Email', 'Meeting', 'Other']) }),
    accountIdOfActivity(),
    field('IsClosed', 'boolean', 'Closed', { ...readOnly }),
    field('IsArchived', 'boolean', 'Archived', { ...readOnly }),
    field('CallDurationInSeconds', 'int', 'Call Duration', { digits: 8 }),
    field('CallType', 'picklist', 'Call Type', { length: 40, restrictedPicklist: true, picklistValues: picklist(['Internal', 'Inbound', 'Outbound']) }),
    field('CallDisposition', 'string', 'Call Result'),
    field('ReminderDateTime', 'datetime', 'Reminder Date/Time'),
    field('IsReminderSet', 'boolean', 'Reminder Set'),
    field('TaskSubtype', 'picklist', 'Task Subtype', { length: 40, updateable: false, defaultedOnCreate: true, restrictedPicklist: true, picklistValues: picklist(['Task', 'Email', 'ListEmail', 'Cadence', 'Call', 'LinkedIn'], 'Task') }),
    field('CompletedDateTime', 'datetime', 'Completed Date/Time', { ...readOnly }),
    ...auditFields(),
  ]);
}

function eventObject(): ObjectDef {
  return objectDef('Event', 'Event', 'Events', KEY_PREFIX.event, [
    idField(),
    ...whoWhatFields('Events'),
    field('Subject', 'combobox', 'Subject', { nameField: true, picklistValues: picklist(['Call', 'Email', 'Meeting', 'Send Letter/Quote', 'Other']) }),
    field('Location', 'string', 'Location'),
    field('IsAllDayEvent', 'boolean', 'All-Day Event'),
    field('ActivityDateTime', 'datetime', 'Due Date Time'),
    field('ActivityDate', 'date', 'Due Date Only'),
    field('DurationInMinutes', 'int', 'Duration', { digits: 8 }),
    field('StartDateTime', 'datetime', 'Start Date Time'),
    field('EndDateTime', 'datetime', 'End Date Time'),
    field('EndDate', 'date', 'End Date Only', { ...readOnly }),
    field('Description', 'textarea', 'Description'),
    accountIdOfActivity(),
    // Salesforce lists Calendar too (public calendars); the sandbox has no calendars, so only User.
    ownerField(['User']),
    field('Type', 'picklist', 'Type', { length: 40, picklistValues: picklist(['Email', 'Meeting', 'Call', 'Other']) }),
    field('IsPrivate', 'boolean', 'Private'),
    field('ShowAs', 'picklist', 'Show Time As', { length: 40, defaultedOnCreate: true, restrictedPicklist: true, picklistValues: picklist(['Busy', 'OutOfOffice', 'Free'], 'Busy'), defaultValue: 'Busy' }),
    field('IsChild', 'boolean', 'Is Child', { ...readOnly }),
    field('IsGroupEvent', 'boolean', 'Is Group Event', { ...readOnly }),
    field('IsArchived', 'boolean', 'Archived', { ...readOnly }),
    field('IsReminderSet', 'boolean', 'Reminder Set'),
    field('ReminderDateTime', 'datetime', 'Reminder Date/Time'),
    field('EventSubtype', 'picklist', 'Event Subtype', { length: 40, updateable: false, defaultedOnCreate: true, restrictedPicklist: true, picklistValues: picklist(['Event'], 'Event') }),
    ...auditFields(),
  ]);
}

function groupObject(): ObjectDef {
  return objectDef('Group', 'Group', 'Groups', KEY_PREFIX.group, [
    idField(),
    field('Name', 'string', 'Name', { length: 40, nameField: true }),
    field('DeveloperName', 'string', 'Developer Name', { length: 80, nillable: false }),
    field('Type', 'picklist', 'Type', { length: 40, nillable: false, restrictedPicklist: true, picklistValues: picklist(['Regular', 'Queue']) }),
    field('Email', 'email', 'Email', { length: 255 }),
    field('DoesSendEmailToMembers', 'boolean', 'Send Email to Members'),
    ...auditFields().filter((f) => f.name !== 'IsDeleted'),
  ], { deletable: true });
}

function organizationObject(): ObjectDef {
  return objectDef('Organization', 'Organization', 'Organizations', KEY_PREFIX.organization, [
    idField(),
    field('Name', 'string', 'Name', { ...readOnly, length: 80, nameField: true }),
    field('Division', 'string', 'Division', { ...readOnly, length: 80 }),
    field('OrganizationType', 'picklist', 'Edition', { ...readOnly, length: 40, picklistValues: picklist(['Developer Edition', 'Enterprise Edition', 'Unlimited Edition']) }),
    field('InstanceName', 'string', 'Instance Name', { ...readOnly, length: 5 }),
    field('IsSandbox', 'boolean', 'Is Sandbox', { ...readOnly }),
    field('TimeZoneSidKey', 'picklist', 'Default Time Zone', { ...readOnly, length: 40, picklistValues: picklist(TIME_ZONES) }),
    field('LanguageLocaleKey', 'picklist', 'Language', { ...readOnly, length: 40, picklistValues: picklist(['en_US']) }),
    field('DefaultLocaleSidKey', 'picklist', 'Default Locale', { ...readOnly, length: 40, picklistValues: picklist(['en_US']) }),
    field('Country', 'string', 'Country', { ...readOnly, length: 80 }),
    ...auditFields().filter((f) => f.name !== 'IsDeleted'),
  ], { createable: false, updateable: false, deletable: false });
}

function activityPicklistObject(name: string, prefix: string, flag: 'IsClosed' | 'IsHighPriority'): ObjectDef {
  return objectDef(name, name === 'TaskStatus' ? 'Task Status Value' : 'Task Priority Value', name === 'TaskStatus' ? 'Task Status Values' : 'Task Priority Values', prefix, [
    idField(),
    field('MasterLabel', 'string', 'Master Label', { ...readOnly, nameField: true }),
    field('ApiName', 'string', 'Api Name', { ...readOnly }),
    field('SortOrder', 'int', 'Sort Order', { ...readOnly }),
    field('IsDefault', 'boolean', 'Is Default', { ...readOnly }),
    field(flag, 'boolean', flag === 'IsClosed' ? 'Closed' : 'High Priority', { ...readOnly }),
    ...auditFields().filter((f) => f.name !== 'IsDeleted'),
  ], { createable: false, updateable: false, deletable: false });
}

export function standardObjects(): ObjectDef[] {
  return [
    organizationObject(),
    userObject(),
    groupObject(),
    accountObject(),
    contactObject(),
    taskObject(),
    eventObject(),
    activityPicklistObject('TaskStatus', KEY_PREFIX.taskStatus, 'IsClosed'),
    activityPicklistObject('TaskPriority', KEY_PREFIX.taskPriority, 'IsHighPriority'),
  ];
}

/** The custom field types the admin API accepts, named as in Setup. */
export const CUSTOM_FIELD_TYPES = ['text', 'textarea', 'email', 'phone', 'url', 'number', 'currency', 'percent', 'date', 'datetime', 'checkbox', 'picklist', 'multipicklist', 'lookup', 'formula'] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];

export interface CustomFieldSpec {
  name: string;
  type: CustomFieldType;
  label?: string | undefined;
  length?: number | undefined;
  precision?: number | undefined;
  scale?: number | undefined;
  values?: string[] | undefined;
  /** Picklists: restrict to the defined values (Setup's default for new picklists). */
  restricted?: boolean | undefined;
  externalId?: boolean | undefined;
  unique?: boolean | undefined;
  caseSensitive?: boolean | undefined;
  required?: boolean | undefined;
  defaultValue?: string | number | boolean | null | undefined;
  /** Lookups: the parent object. */
  referenceTo?: string | undefined;
  relationshipName?: string | undefined;
  /** Formulas: the type of the value (Setup's "Formula Return Type"). */
  returnType?: FormulaReturnType | undefined;
  /** Formulas: the expression, e.g. `IF(Health_Score__c >= 70, "Green", "Red")` (see formula.ts for what is supported). */
  formula?: string | undefined;
  /** Formulas: Setup's "Blank Field Handling" (metadata `formulaTreatBlanksAs`); the sandbox defaults to `blank`. */
  treatBlanksAs?: 'blank' | 'zero' | undefined;
}

export interface CustomObjectSpec {
  name: string;
  label?: string | undefined;
  labelPlural?: string | undefined;
  nameFieldLabel?: string | undefined;
  allowActivities?: boolean | undefined;
  fields?: CustomFieldSpec[] | undefined;
}

function labelFromApiName(name: string): string {
  return name.replace(/__c$/, '').replace(/_/g, ' ');
}

function withCustomSuffix(name: string): string {
  return name.endsWith('__c') ? name : `${name}__c`;
}

const API_NAME = /^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*(__c)?$/;

function customField(spec: CustomFieldSpec, object: ObjectDef, registry: SchemaRegistry): FieldDef {
  const name = withCustomSuffix(spec.name);
  if (!API_NAME.test(name)) throw new SalesforceError(400, 'INVALID_FIELD', `Invalid field name: ${spec.name}`);
  const label = spec.label ?? labelFromApiName(name);
  if (spec.type === 'formula') return formulaField(name, label, spec, object, registry);
  const formulaOnly = (['returnType', 'formula', 'treatBlanksAs'] as const).filter((key) => spec[key] !== undefined);
  if (formulaOnly.length) throw new SalesforceError(400, 'INVALID_FIELD', `${formulaOnly.join(', ')}: only for fields of type formula (${name} is ${spec.type})`);
  const required = { nillable: !(spec.required ?? false) };
  const common = { custom: true, externalId: spec.externalId ?? false, unique: spec.unique ?? false, caseSensitive: spec.caseSensitive ?? false, ...required };
  const values = spec.values ?? [];
  switch (spec.type) {
    case 'text':
      return field(name, 'string', label, { ...common, length: spec.length ?? 255, defaultValue: stringDefault(spec) });
    case 'textarea':
      return field(name, 'textarea', label, { ...common, length: spec.length ?? 32768 });
    case 'email':
      return field(name, 'email', label, { ...common, length: 80 });
    case 'phone':
      return field(name, 'phone', label, { ...common, length: 40 });
    case 'url':
      return field(name, 'url', label, { ...common, length: 255 });
    case 'number':
    case 'currency':
    case 'percent': {
      const precision = spec.precision ?? 18;
      const scale = spec.scale ?? 0;
      if (scale > precision) throw new SalesforceError(400, 'INVALID_FIELD', 'Scale cannot be greater than precision');
      const type: FieldType = spec.type === 'number' ? 'double' : spec.type;
      return field(name, type, label, { ...common, precision, scale, defaultValue: typeof spec.defaultValue === 'number' ? spec.defaultValue : null, defaultedOnCreate: typeof spec.defaultValue === 'number' });
    }
    case 'date':
      return field(name, 'date', label, common);
    case 'datetime':
      return field(name, 'datetime', label, common);
    case 'checkbox':
      // Checkboxes are never null: "defaulted on create", default false unless stated.
      return field(name, 'boolean', label, { ...common, nillable: false, defaultValue: spec.defaultValue === true });
    case 'picklist':
    case 'multipicklist':
      if (values.length === 0) throw new SalesforceError(400, 'INVALID_FIELD', `A ${spec.type} needs values`);
      return field(name, spec.type, label, {
        ...common,
        length: spec.type === 'picklist' ? 255 : 4099,
        picklistValues: picklist(values, typeof spec.defaultValue === 'string' ? spec.defaultValue : undefined),
        restrictedPicklist: spec.restricted ?? true,
        defaultValue: stringDefault(spec),
        defaultedOnCreate: typeof spec.defaultValue === 'string',
      });
    case 'lookup': {
      const parent = spec.referenceTo ? registry.get(spec.referenceTo) : undefined;
      if (!parent) throw new SalesforceError(400, 'INVALID_TYPE', `A lookup needs an existing referenceTo object (got ${String(spec.referenceTo)})`);
      const relationship = spec.relationshipName ?? name.replace(/__c$/, '__r');
      return field(name, 'reference', label, { ...common, referenceTo: [parent.name], relationshipName: relationship.endsWith('__r') ? relationship : `${relationship}__r` });
    }
  }
}

/**
 * A formula field as describe shows one. The SOAP API's Field reference says `calculated` marks a custom formula
 * field and that such fields are always read-only: neither createable nor updateable. The formula text goes in
 * `calculatedFormula` (DescribeFieldResult.getCalculatedFormula), the type is that of the return type (a text
 * formula is a `string` of the 1,300 characters a formula result can show, a number formula a `double` of
 * precision 18 and its decimal places). Writing one is refused by dml.ts like any read-only field; its value is
 * recomputed on every save (formula.ts).
 */
function formulaField(name: string, label: string, spec: CustomFieldSpec, object: ObjectDef, registry: SchemaRegistry): FieldDef {
  const invalid = (message: string) => new SalesforceError(400, 'INVALID_FIELD', `${name}: ${message}`);
  const { returnType, formula } = spec;
  if (!returnType) throw invalid(`a formula field needs a returnType (${Object.keys(FORMULA_FIELD_TYPES).join(', ')})`);
  if (formula === undefined || formula.trim() === '') throw invalid('a formula field needs a formula');
  // Setup offers none of these for a formula: its value is computed, never entered.
  const notForFormulas = (['required', 'unique', 'externalId', 'caseSensitive', 'defaultValue', 'values', 'restricted', 'length', 'referenceTo', 'relationshipName'] as const).filter(
    (key) => spec[key] !== undefined && spec[key] !== false,
  );
  if (notForFormulas.length) throw invalid(`${notForFormulas.join(', ')} cannot be set on a formula field`);
  const numeric = returnType === 'number' || returnType === 'currency' || returnType === 'percent';
  if (!numeric && (spec.precision !== undefined || spec.scale !== undefined)) throw invalid(`precision and scale apply to number, currency and percent formulas, not ${returnType}`);
  const precision = spec.precision ?? 18;
  const scale = spec.scale ?? 0;
  if (scale > precision) throw invalid('Scale cannot be greater than precision');
  let compiled: CompiledFormula;
  try {
    compiled = compileFormula(formula, { returnType, objectName: object.name, field: (n) => registry.field(object, n), blankAsZero: spec.treatBlanksAs === 'zero', scale });
  } catch (err) {
    if (err instanceof FormulaError) throw invalid(`invalid formula (at character ${err.position + 1}): ${err.message}`);
    throw err;
  }
  return field(name, FORMULA_FIELD_TYPES[returnType], label, {
    custom: true,
    calculated: true,
    formula: compiled,
    createable: false,
    updateable: false,
    // A checkbox is never null, its formula's value neither.
    nillable: returnType !== 'checkbox',
    defaultedOnCreate: false,
    length: returnType === 'text' ? TEXT_FORMULA_LENGTH : 0,
    precision: numeric ? precision : 0,
    scale: numeric ? scale : 0,
  });
}

function stringDefault(spec: CustomFieldSpec): string | null {
  return typeof spec.defaultValue === 'string' ? spec.defaultValue : null;
}

/** All object definitions of the org, looked up by name (case-insensitively) or by key prefix. */
export class SchemaRegistry {
  private readonly byName = new Map<string, ObjectDef>();
  private readonly byPrefix = new Map<string, ObjectDef>();
  private readonly fieldIndex = new Map<ObjectDef, Map<string, FieldDef>>();
  private customObjectCount = 0;

  constructor(objects: ObjectDef[] = standardObjects()) {
    for (const object of objects) this.register(object);
  }

  private register(object: ObjectDef): void {
    this.byName.set(object.name.toLowerCase(), object);
    this.byPrefix.set(object.keyPrefix, object);
    this.fieldIndex.delete(object);
  }

  get(name: string): ObjectDef | undefined {
    return this.byName.get(name.toLowerCase());
  }

  require(name: string): ObjectDef {
    const object = this.get(name);
    if (!object) throw new SalesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');
    return object;
  }

  byKeyPrefix(prefix: string): ObjectDef | undefined {
    return this.byPrefix.get(prefix);
  }

  all(): ObjectDef[] {
    return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  field(object: ObjectDef, name: string): FieldDef | undefined {
    let index = this.fieldIndex.get(object);
    if (!index) {
      index = new Map(object.fields.map((f) => [f.name.toLowerCase(), f]));
      this.fieldIndex.set(object, index);
    }
    return index.get(name.toLowerCase());
  }

  /** Adds a custom field; returns it. Existing records get the field's default (see Store.addField). */
  addCustomField(objectName: string, spec: CustomFieldSpec): FieldDef {
    const object = this.get(objectName);
    if (!object) throw new SalesforceError(400, 'INVALID_TYPE', `sObject type '${objectName}' is not supported.`);
    if (object.name === 'Organization' || object.name === 'TaskStatus' || object.name === 'TaskPriority') {
      throw new SalesforceError(400, 'INVALID_TYPE', `Custom fields cannot be added to ${object.name}`);
    }
    const def = customField(spec, object, this);
    if (this.field(object, def.name)) throw new SalesforceError(400, 'DUPLICATE_DEVELOPER_NAME', `There is already a field named ${def.name} on ${object.name}.`);
    object.fields.push(def);
    this.fieldIndex.delete(object);
    return def;
  }

  addCustomObject(spec: CustomObjectSpec): ObjectDef {
    const name = withCustomSuffix(spec.name);
    if (!API_NAME.test(name)) throw new SalesforceError(400, 'INVALID_TYPE', `Invalid object name: ${spec.name}`);
    if (this.get(name)) throw new SalesforceError(400, 'DUPLICATE_DEVELOPER_NAME', `There is already an object named ${name}.`);
    const label = spec.label ?? labelFromApiName(name);
    const object = objectDef(name, label, spec.labelPlural ?? `${label}s`, customObjectKeyPrefix(this.customObjectCount++), [
      idField(),
      ownerField(['Group', 'User']),
      // A custom object's Name is defaulted to the record ID when a request leaves it blank.
      field('Name', 'string', spec.nameFieldLabel ?? `${label} Name`, { length: 80, nameField: true, defaultedOnCreate: true, custom: false }),
      ...auditFields(),
      field('LastActivityDate', 'date', 'Last Activity Date', { ...readOnly }),
    ], { custom: true, allowActivities: spec.allowActivities ?? true });
    this.register(object);
    if (object.allowActivities) {
      for (const activity of ['Task', 'Event']) {
        const what = this.get(activity)?.fields.find((f) => f.name === 'WhatId');
        what?.referenceTo.push(object.name);
      }
    }
    for (const fieldSpec of spec.fields ?? []) this.addCustomField(object.name, fieldSpec);
    return object;
  }
}
