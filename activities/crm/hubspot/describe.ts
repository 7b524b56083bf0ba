/**
 * HubSpot's schema in hubsync's describe shape (crm/types.ts), so validation of mappings and write-back works
 * on HubSpot exactly as on Salesforce. From the Properties API (`GET /crm/v3/properties/{objectType}`):
 * - `type`/`fieldType` become describe types: enumeration+checkbox → multipicklist (values joined with `;`),
 *   other enumerations → picklist, restricted to their options (HubSpot refuses other values), bool → boolean,
 *   number → double, date/datetime as they are, string → string (textarea, phone by fieldType);
 * - `modificationMetadata.readOnlyValue` or `calculated` → neither createable nor updateable;
 * - `hasUniqueValue` → an external ID (batch upsert's `idProperty`); `hs_object_id` is the record's ID;
 * - `hubspot_owner_id` (`referencedObjectType: OWNER`) is a lookup to the owners, whose relationship hubsync names
 *   `Owner`: `Owner.email` reads the owner's email through the Owners API, as `Owner.Email` does on Salesforce.
 * Owners (`/crm/v3/owners`) are described by hand: the API has no properties endpoint for them, and they are
 * read-only through it.
 */
import { z } from 'zod';
import type { CrmFieldDescribe, CrmObjectDescribe } from '../types';

/** The relationship name hubsync gives `hubspot_owner_id`, and the object it points at. */
export const OWNER_RELATIONSHIP = 'Owner';
export const OWNERS_OBJECT = 'owners';
export const OWNER_FIELD = 'hubspot_owner_id';
/** HubSpot's text properties hold up to 65,536 characters. */
const TEXT_LENGTH = 65_536;

export const PropertySchema = z.looseObject({
  name: z.string(),
  label: z.string(),
  type: z.string(),
  fieldType: z.string(),
  options: z.array(z.looseObject({ value: z.string(), hidden: z.boolean().optional() })).default([]),
  calculated: z.boolean().optional(),
  hasUniqueValue: z.boolean().optional(),
  referencedObjectType: z.string().optional(),
  modificationMetadata: z.looseObject({ readOnlyValue: z.boolean().optional() }).optional(),
});

export type HubSpotProperty = z.infer<typeof PropertySchema>;

function describeType(p: HubSpotProperty): string {
  if (p.name === 'hs_object_id') return 'id';
  if (p.referencedObjectType === 'OWNER') return 'reference';
  switch (p.type) {
    case 'enumeration':
      if (p.fieldType === 'checkbox') return 'multipicklist';
      if (p.fieldType === 'booleancheckbox') return 'boolean';
      return 'picklist';
    case 'bool':
      return 'boolean';
    case 'number':
      return 'double';
    case 'date':
    case 'datetime':
      return p.type;
    default:
      if (p.fieldType === 'textarea') return 'textarea';
      if (p.fieldType === 'phonenumber') return 'phone';
      return p.name === 'email' ? 'email' : 'string';
  }
}

export function toFieldDescribe(p: HubSpotProperty): CrmFieldDescribe {
  const type = describeType(p);
  const writable = !(p.modificationMetadata?.readOnlyValue ?? false) && !(p.calculated ?? false) && type !== 'id';
  const owner = type === 'reference';
  return {
    name: p.name,
    label: p.label,
    type,
    createable: writable,
    updateable: writable,
    nillable: true,
    externalId: p.hasUniqueValue === true,
    idLookup: type === 'id' || p.hasUniqueValue === true,
    unique: type === 'id' || p.hasUniqueValue === true,
    calculated: p.calculated === true,
    defaultedOnCreate: false,
    referenceTo: owner ? [OWNERS_OBJECT] : [],
    relationshipName: owner ? OWNER_RELATIONSHIP : null,
    picklistValues: owner ? [] : p.options.map((o) => ({ value: o.value, active: o.hidden !== true })),
    restrictedPicklist: type === 'picklist' || type === 'multipicklist',
    length: type === 'string' || type === 'textarea' || type === 'phone' || type === 'email' ? TEXT_LENGTH : 0,
  };
}

export function describeObject(name: string, properties: HubSpotProperty[]): CrmObjectDescribe {
  return { name, label: name, createable: true, updateable: true, queryable: true, fields: properties.map(toFieldDescribe) };
}

const ownerField = (name: string, type: string): CrmFieldDescribe => ({
  name,
  label: name,
  type,
  createable: false,
  updateable: false,
  nillable: true,
  externalId: false,
  idLookup: name === 'id' || name === 'email',
  unique: name === 'id',
  calculated: false,
  defaultedOnCreate: false,
  referenceTo: [],
  relationshipName: null,
  picklistValues: [],
  restrictedPicklist: false,
  length: type === 'id' || type === 'double' ? 0 : TEXT_LENGTH,
});

/** The Owners API's PublicOwner, as an object hubsync can read through `Owner.<field>` (never write). */
export const OWNERS_DESCRIBE: CrmObjectDescribe = {
  name: OWNERS_OBJECT,
  label: 'Owner',
  createable: false,
  updateable: false,
  queryable: true,
  fields: [ownerField('id', 'id'), ownerField('email', 'email'), ownerField('firstName', 'string'), ownerField('lastName', 'string'), ownerField('userId', 'double')],
};
