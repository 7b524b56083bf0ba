/**
 * Property definitions as the Properties API describes them (GET /crm/v3/properties/{objectType}: `{name,
 * label, type, fieldType, groupName, description, options, hubspotDefined, calculated, modificationMetadata,
 * …}`, developers.hubspot.com CRM properties guide and the client's Property model), a few of HubSpot's default
 * company and contact properties, custom ones defined through the admin API, and the checks HubSpot applies to
 * written values.
 */
import { propertyIssue, type PropertyIssue } from './errors';
import { type ObjectTypeName, type ObjectTypeSpec } from './types';

/** HubSpot's property `type`s and the usual `fieldType` for each (properties guide, "Property type and fieldType values"). */
export type PropertyType = 'string' | 'number' | 'date' | 'datetime' | 'enumeration' | 'bool';

export interface PropertyOption {
  label: string;
  value: string;
  displayOrder: number;
  hidden: boolean;
}

export interface PropertyDef {
  name: string;
  label: string;
  type: PropertyType;
  fieldType: string;
  groupName: string;
  description: string;
  options: PropertyOption[];
  hubspotDefined: boolean;
  calculated: boolean;
  readOnlyValue: boolean;
  hasUniqueValue: boolean;
  /** Options come from elsewhere (hubspot_owner_id: the owners). */
  referencedObjectType?: 'OWNER';
  createdAt: string;
  updatedAt: string;
}

const options = (pairs: [string, string][]): PropertyOption[] => pairs.map(([value, label], i) => ({ label, value, displayOrder: i, hidden: false }));

/** A subset of HubSpot's industry picklist (its internal values are upper snake case). */
const INDUSTRIES = options([
  ['ACCOUNTING', 'Accounting'],
  ['COMPUTER_SOFTWARE', 'Computer Software'],
  ['FINANCIAL_SERVICES', 'Financial Services'],
  ['HOSPITAL_HEALTH_CARE', 'Hospital & Health Care'],
  ['RETAIL', 'Retail'],
  ['TELECOMMUNICATIONS', 'Telecommunications'],
]);
export const INDUSTRY_VALUES = INDUSTRIES.map((o) => o.value);

type DefaultSpec = Pick<PropertyDef, 'name' | 'label' | 'type' | 'fieldType'> & Partial<PropertyDef>;

// createdate may be set on import/create; the modification stamp and hs_object_id are system-maintained.
const SYSTEM: DefaultSpec[] = [
  { name: 'createdate', label: 'Create Date', type: 'datetime', fieldType: 'date' },
  { name: 'hs_object_id', label: 'Record ID', type: 'number', fieldType: 'number', readOnlyValue: true },
];
const stamp = (name: string): DefaultSpec => ({ name, label: 'Last Modified Date', type: 'datetime', fieldType: 'date', readOnlyValue: true });
const owner = (label: string): DefaultSpec => ({ name: 'hubspot_owner_id', label, type: 'enumeration', fieldType: 'select', referencedObjectType: 'OWNER' });
const text = (name: string, label: string): DefaultSpec => ({ name, label, type: 'string', fieldType: 'text' });
const PHONE: DefaultSpec = { name: 'phone', label: 'Phone Number', type: 'string', fieldType: 'phonenumber' };

/** A few of HubSpot's default properties per object (names, labels and types as the Properties API lists them). */
const DEFAULTS: Record<ObjectTypeName, DefaultSpec[]> = {
  companies: [
    text('name', 'Name'),
    text('domain', 'Company Domain Name'),
    { name: 'industry', label: 'Industry', type: 'enumeration', fieldType: 'select', options: INDUSTRIES },
    text('city', 'City'),
    PHONE,
    { name: 'numberofemployees', label: 'Number of Employees', type: 'number', fieldType: 'number' },
    owner('Company owner'),
    ...SYSTEM,
    stamp('hs_lastmodifieddate'),
  ],
  contacts: [
    text('email', 'Email'),
    text('firstname', 'First Name'),
    text('lastname', 'Last Name'),
    PHONE,
    text('jobtitle', 'Job Title'),
    owner('Contact owner'),
    ...SYSTEM,
    // Contacts keep HubSpot's older name for the stamp (contract §2.3).
    stamp('lastmodifieddate'),
  ],
};

export function defaultProperties(type: ObjectTypeSpec, at: string): PropertyDef[] {
  return DEFAULTS[type.name].map((d) => ({
    groupName: type.groupName,
    description: '',
    options: [],
    hubspotDefined: true,
    calculated: false,
    readOnlyValue: false,
    hasUniqueValue: false,
    createdAt: at,
    updatedAt: at,
    ...d,
  }));
}

export interface CustomPropertySpec {
  name: string;
  label?: string | undefined;
  type: PropertyType;
  fieldType?: string | undefined;
  /** For enumerations: the values (labels default to the values). */
  options?: (string | { label: string; value: string })[] | undefined;
  /** Enumerations: multi-select (`checkbox`, values joined with `;`) rather than single select. */
  multiple?: boolean | undefined;
  description?: string | undefined;
  /** A unique identifier property (properties guide: `hasUniqueValue`), the kind batch upsert's `idProperty` names. */
  hasUniqueValue?: boolean | undefined;
}

const FIELD_TYPE: Record<PropertyType, string> = { string: 'text', number: 'number', date: 'date', datetime: 'date', enumeration: 'select', bool: 'booleancheckbox' };

export function customProperty(spec: CustomPropertySpec, groupName: string, at: string): PropertyDef {
  const opts = spec.type === 'bool' ? options([['true', 'Yes'], ['false', 'No']]) : (spec.options ?? []).map((o, i) => (typeof o === 'string' ? { label: o, value: o, displayOrder: i, hidden: false } : { ...o, displayOrder: i, hidden: false }));
  return {
    name: spec.name,
    label: spec.label ?? spec.name,
    type: spec.type,
    fieldType: spec.fieldType ?? (spec.type === 'enumeration' && spec.multiple ? 'checkbox' : FIELD_TYPE[spec.type]),
    groupName,
    description: spec.description ?? '',
    options: opts,
    hubspotDefined: false,
    calculated: false,
    readOnlyValue: false,
    hasUniqueValue: spec.hasUniqueValue ?? false,
    createdAt: at,
    updatedAt: at,
  };
}

/** The Properties API representation (client model `Property`; `modificationMetadata` as PropertyModificationMetadata). */
export function renderProperty(def: PropertyDef, ownerOptions: PropertyOption[]): Record<string, unknown> {
  return {
    updatedAt: def.updatedAt,
    createdAt: def.createdAt,
    name: def.name,
    label: def.label,
    type: def.type,
    fieldType: def.fieldType,
    description: def.description,
    groupName: def.groupName,
    options: def.referencedObjectType === 'OWNER' ? ownerOptions : def.options,
    displayOrder: -1,
    calculated: def.calculated,
    externalOptions: def.referencedObjectType !== undefined,
    ...(def.referencedObjectType ? { referencedObjectType: def.referencedObjectType } : {}),
    hasUniqueValue: def.hasUniqueValue,
    hidden: false,
    hubspotDefined: def.hubspotDefined,
    modificationMetadata: { archivable: !def.hubspotDefined, readOnlyDefinition: def.hubspotDefined, readOnlyValue: def.readOnlyValue },
    formField: !def.readOnlyValue,
    dataSensitivity: 'non_sensitive',
  };
}

/** `checkbox` enumerations hold several values joined with `;` (properties guide, multiple checkboxes). */
export function isMultiSelect(def: PropertyDef): boolean {
  return def.type === 'enumeration' && def.fieldType === 'checkbox';
}

/**
 * Checks one written value; `allowed` are the valid option values (owners for hubspot_owner_id). The error
 * names follow HubSpot's validation responses (PROPERTY_DOESNT_EXIST, READ_ONLY_VALUE, INVALID_OPTION); the
 * exact wording of the messages is not documented [infer].
 */
export function checkValue(name: string, def: PropertyDef | undefined, value: string, allowed: string[]): PropertyIssue | undefined {
  if (!def) return propertyIssue(name, 'PROPERTY_DOESNT_EXIST', `Property "${name}" does not exist`);
  if (def.readOnlyValue) return propertyIssue(name, 'READ_ONLY_VALUE', `"${name}" is a read only property; its value cannot be set.`);
  if (value === '') return undefined; // an empty string clears the value
  if (def.type === 'enumeration') {
    const values = isMultiSelect(def) ? value.split(';') : [value];
    const bad = values.find((v) => !allowed.includes(v));
    if (bad !== undefined) return propertyIssue(name, def.referencedObjectType ? 'INVALID_OWNER_ID' : 'INVALID_OPTION', `${bad} was not one of the allowed options: [${allowed.join(', ')}]`);
  }
  if (def.type === 'number' && !Number.isFinite(Number(value))) return propertyIssue(name, 'INVALID_DOUBLE', `${value} is not a valid number`);
  if ((def.type === 'datetime' || def.type === 'date') && toMillis(value) === undefined) return propertyIssue(name, 'INVALID_DATE', `${value} is not a valid date`);
  return undefined;
}

/** Datetime values are accepted as ISO 8601 or epoch milliseconds (search filters and writes alike). */
export function toMillis(value: string): number | undefined {
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
