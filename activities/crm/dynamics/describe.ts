/**
 * Dataverse's table metadata in hubsync's describe shape (crm/types.ts), so validation of mappings and
 * write-back works on Dataverse as on Salesforce. From the metadata Web API (Microsoft Learn, "Query table
 * definitions using the Web API"): `EntityDefinitions` for the table, its `Attributes`, and the typed casts
 * that carry what the base AttributeMetadata does not (option sets, lookup targets, string lengths).
 *
 * - Tables are named by their entity set (`accounts`, the Web API's collection), lookup targets too; a
 *   logical name (`account`) is accepted as well.
 * - Lookups (`Lookup`, `Owner`, `Customer`) are reference fields named as the Web API reads them,
 *   `_ownerid_value`, whose relationship is the navigation property (`ownerid`): `ownerid.internalemailaddress`
 *   reads the owner's email, as `Owner.Email` does on Salesforce. Writes bind the navigation property
 *   (`ownerid@odata.bind`). An owner lookup targets system users only here: hubsync assigns people, not teams.
 * - Option sets hold integers; hubsync speaks their labels (what users see), converted both ways with the
 *   table's `OptionSets`. Picklists become `picklist`, multi-select option sets `multipicklist` (labels joined
 *   with `;` in hubsync, values with `,` on the wire); both are restricted to their options.
 * - Columns that are another's shadow (`AttributeOf`: `owneridname`, yomi names) and types hubsync cannot
 *   map (party lists, images, managed properties) are left out.
 */
import { z } from 'zod';
import type { CrmFieldDescribe, CrmObjectDescribe } from '../types';

const LabelSchema = z.looseObject({ UserLocalizedLabel: z.looseObject({ Label: z.string() }).nullish() }).nullish();
const labelOf = (label: z.infer<typeof LabelSchema>, fallback: string) => label?.UserLocalizedLabel?.Label ?? fallback;

export const EntitySchema = z.looseObject({
  LogicalName: z.string(),
  EntitySetName: z.string(),
  PrimaryIdAttribute: z.string(),
  PrimaryNameAttribute: z.string().nullish(),
  DisplayName: LabelSchema,
  ChangeTrackingEnabled: z.boolean().nullish(),
});

export type EntityDefinition = z.infer<typeof EntitySchema>;

export const ENTITY_SELECT = ['LogicalName', 'EntitySetName', 'PrimaryIdAttribute', 'PrimaryNameAttribute', 'DisplayName', 'ChangeTrackingEnabled'];

export const AttributeSchema = z.looseObject({
  LogicalName: z.string(),
  AttributeType: z.string(),
  AttributeTypeName: z.looseObject({ Value: z.string() }).nullish(),
  DisplayName: LabelSchema,
  IsValidForCreate: z.boolean().nullish(),
  IsValidForUpdate: z.boolean().nullish(),
  IsValidForRead: z.boolean().nullish(),
  RequiredLevel: z.looseObject({ Value: z.string() }).nullish(),
  IsPrimaryId: z.boolean().nullish(),
  AttributeOf: z.string().nullish(),
});

export const ATTRIBUTE_SELECT = ['LogicalName', 'AttributeType', 'AttributeTypeName', 'DisplayName', 'IsValidForCreate', 'IsValidForUpdate', 'IsValidForRead', 'RequiredLevel', 'IsPrimaryId', 'AttributeOf'];

export const OptionSetAttributeSchema = z.looseObject({
  LogicalName: z.string(),
  OptionSet: z.looseObject({ Options: z.array(z.looseObject({ Value: z.number(), Label: LabelSchema })) }).nullish(),
});

export const LookupAttributeSchema = z.looseObject({ LogicalName: z.string(), Targets: z.array(z.string()).nullish() });
export const StringAttributeSchema = z.looseObject({ LogicalName: z.string(), MaxLength: z.number().nullish(), Format: z.string().nullish() });

/** The metadata casts describe asks for, besides the base attributes. */
export const CASTS = {
  picklist: 'Microsoft.Dynamics.CRM.PicklistAttributeMetadata',
  multiSelect: 'Microsoft.Dynamics.CRM.MultiSelectPicklistAttributeMetadata',
  lookup: 'Microsoft.Dynamics.CRM.LookupAttributeMetadata',
  string: 'Microsoft.Dynamics.CRM.StringAttributeMetadata',
  memo: 'Microsoft.Dynamics.CRM.MemoAttributeMetadata',
} as const;

/** One option set column: its options by value and by label (labels compared case-insensitively). */
export interface OptionSet {
  multi: boolean;
  labels: Map<number, string>;
  values: Map<string, number>;
}

/** A lookup column: the navigation property a bind uses, the one an expand reads through, and the tables it may point at. */
export interface Lookup {
  column: string;
  navigation: string;
  /**
   * The navigation property `$expand` reads the referenced row through: the lookup's own, except for owners,
   * whose `ownerid` is typed `principal` (user or team, with no columns but the ID) in the Web API's model, so
   * the owning user's columns come through `owninguser`.
   */
  expand: string;
  targets: string[];
}

/** A table as the session works with it: the shared describe plus what only Dataverse needs. */
export interface DataverseTable {
  describe: CrmObjectDescribe;
  logicalName: string;
  entitySet: string;
  primaryId: string;
  changeTracking: boolean;
  optionSets: Map<string, OptionSet>;
  /** By the column name as read (`_ownerid_value`). */
  lookups: Map<string, Lookup>;
  /** By the navigation property (`ownerid`), lower case. */
  navigations: Map<string, Lookup>;
}

export interface TableMetadata {
  entity: EntityDefinition;
  /** The entity set of a table by its logical name (lookup targets are logical names). */
  entitySetOf: (logicalName: string) => string | undefined;
  attributes: Array<z.infer<typeof AttributeSchema>>;
  picklists: Array<z.infer<typeof OptionSetAttributeSchema>>;
  multiSelects: Array<z.infer<typeof OptionSetAttributeSchema>>;
  lookups: Array<z.infer<typeof LookupAttributeSchema>>;
  strings: Array<z.infer<typeof StringAttributeSchema>>;
}

const LOOKUP_TYPES = new Set(['Lookup', 'Owner', 'Customer']);
/** Attribute types hubsync reads and writes, as describe types (Salesforce's names, which validation knows). */
const TYPES: Record<string, string> = {
  String: 'string',
  Memo: 'textarea',
  Integer: 'int',
  BigInt: 'int',
  Decimal: 'double',
  Double: 'double',
  Money: 'currency',
  Boolean: 'boolean',
  DateTime: 'datetime',
  Picklist: 'picklist',
  State: 'picklist',
  Status: 'picklist',
  Uniqueidentifier: 'id',
  Lookup: 'reference',
  Owner: 'reference',
  Customer: 'reference',
};

/** The Web API's name of a lookup column's value: `_ownerid_value`. */
export const lookupColumn = (logicalName: string) => `_${logicalName}_value`;

function optionSet(attribute: z.infer<typeof OptionSetAttributeSchema>, multi: boolean): OptionSet {
  const labels = new Map<number, string>();
  const values = new Map<string, number>();
  for (const o of attribute.OptionSet?.Options ?? []) {
    const label = labelOf(o.Label, String(o.Value));
    labels.set(o.Value, label);
    values.set(label.toLowerCase(), o.Value);
  }
  return { multi, labels, values };
}

export function toTable(meta: TableMetadata): DataverseTable {
  const optionSets = new Map<string, OptionSet>();
  for (const a of meta.picklists) optionSets.set(a.LogicalName, optionSet(a, false));
  for (const a of meta.multiSelects) optionSets.set(a.LogicalName, optionSet(a, true));
  const targets = new Map(meta.lookups.map((l) => [l.LogicalName, l.Targets ?? []]));
  const strings = new Map(meta.strings.map((s) => [s.LogicalName, s]));
  const lookups = new Map<string, Lookup>();
  const fields: CrmFieldDescribe[] = [];
  for (const a of meta.attributes) {
    if (a.AttributeOf || a.IsValidForRead === false) continue;
    const multi = a.AttributeTypeName?.Value === 'MultiSelectPicklistType';
    const type = multi ? 'multipicklist' : a.IsPrimaryId ? 'id' : TYPES[a.AttributeType];
    if (!type) continue;
    const lookup = LOOKUP_TYPES.has(a.AttributeType);
    const name = lookup ? lookupColumn(a.LogicalName) : a.LogicalName;
    const referenceTo = lookup ? (a.AttributeType === 'Owner' ? ['systemuser'] : (targets.get(a.LogicalName) ?? [])).map((t) => meta.entitySetOf(t) ?? t) : [];
    if (lookup) lookups.set(name, { column: name, navigation: a.LogicalName, expand: a.AttributeType === 'Owner' ? 'owninguser' : a.LogicalName, targets: referenceTo });
    const options = optionSets.get(a.LogicalName);
    const string = strings.get(a.LogicalName);
    const required = a.RequiredLevel?.Value === 'ApplicationRequired' || a.RequiredLevel?.Value === 'SystemRequired';
    fields.push({
      name,
      label: labelOf(a.DisplayName, a.LogicalName),
      type: type === 'string' && string?.Format === 'Email' ? 'email' : type,
      createable: a.IsValidForCreate === true && type !== 'id',
      updateable: a.IsValidForUpdate === true && type !== 'id',
      nillable: !required,
      externalId: false,
      idLookup: type === 'id',
      unique: type === 'id',
      calculated: false,
      defaultedOnCreate: false,
      referenceTo,
      relationshipName: lookup ? a.LogicalName : null,
      picklistValues: options ? [...options.labels.values()].map((value) => ({ value, active: true })) : [],
      restrictedPicklist: options !== undefined,
      length: string?.MaxLength ?? 0,
    });
  }
  const { entity } = meta;
  return {
    describe: { name: entity.EntitySetName, label: labelOf(entity.DisplayName, entity.LogicalName), createable: true, updateable: true, queryable: true, fields },
    logicalName: entity.LogicalName,
    entitySet: entity.EntitySetName,
    primaryId: entity.PrimaryIdAttribute,
    changeTracking: entity.ChangeTrackingEnabled === true,
    optionSets,
    lookups,
    navigations: new Map([...lookups.values()].map((l) => [l.navigation.toLowerCase(), l])),
  };
}
