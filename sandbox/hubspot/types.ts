/**
 * The CRM object types the sandbox emulates and what differs between them; everything else (storage, the
 * objects API, search, properties) is one implementation over these specs.
 *
 * Sources: object type IDs 0-1 (contacts) and 0-2 (companies), and that the API takes the plural name, the
 * singular name or the type ID in paths (HubSpot "Understanding the CRM" guide, object type IDs table);
 * the properties returned when none are asked for, and `lastmodifieddate` (contacts) versus
 * `hs_lastmodifieddate` (companies) (crm-api-contracts.md §2.3, HubSpot's contacts and companies guides).
 */
import { HubSpotError } from './errors';

export type ObjectTypeName = 'companies' | 'contacts';

export interface ObjectTypeSpec {
  name: ObjectTypeName;
  singular: string;
  objectTypeId: string;
  /** How HubSpot names the type in some error messages ("Could not get some COMPANY objects"). */
  upper: string;
  /** Returned when a request names no properties. */
  defaultProperties: string[];
  /** The system-maintained modification stamp. */
  modifiedProperty: string;
  /** The default property group of the type's properties. */
  groupName: string;
  /** The first record ID handed out [infer: real portals' IDs have 10-11 digits; distinct ranges keep a mixed-up type visible]. */
  firstId: number;
  /** What `query` in a search looks in (search guide: "default searchable properties"). */
  queryProperties: string[];
  /**
   * A property HubSpot keeps unique among live records although its definition does not say so: contacts'
   * `email` (a second contact with it is 409 CONFLICT "Contact already exists. Existing ID: N", as real
   * responses quoted in client issue trackers show); it also serves as `idProperty` of upsert and reads.
   */
  uniqueKey?: string;
}

export const OBJECT_TYPES: Record<ObjectTypeName, ObjectTypeSpec> = {
  companies: {
    name: 'companies',
    singular: 'company',
    objectTypeId: '0-2',
    upper: 'COMPANY',
    defaultProperties: ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'],
    modifiedProperty: 'hs_lastmodifieddate',
    groupName: 'companyinformation',
    firstId: 10_000_000_001,
    queryProperties: ['name', 'domain', 'city', 'phone'],
  },
  contacts: {
    name: 'contacts',
    singular: 'contact',
    objectTypeId: '0-1',
    upper: 'CONTACT',
    defaultProperties: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
    modifiedProperty: 'lastmodifieddate',
    groupName: 'contactinformation',
    firstId: 60_000_000_001,
    queryProperties: ['firstname', 'lastname', 'email', 'phone'],
    uniqueKey: 'email',
  },
};

const ALIASES = new Map<string, ObjectTypeName>(Object.values(OBJECT_TYPES).flatMap((t) => [t.name, t.singular, t.objectTypeId].map((alias) => [alias, t.name] as const)));

/** The type a path segment names; HubSpot answers an unknown one with 400 [infer: the message as seen for typos in object types]. */
export function objectTypeOf(alias: string | undefined): ObjectTypeSpec {
  const name = ALIASES.get((alias ?? '').toLowerCase());
  if (!name) throw new HubSpotError(400, 'VALIDATION_ERROR', `Unable to infer object type from: ${alias ?? ''}`);
  return OBJECT_TYPES[name];
}

/** Like objectTypeOf, but undefined for a name the sandbox does not know (inline `associations=deals` is ignored). */
export function knownObjectType(alias: string): ObjectTypeSpec | undefined {
  const name = ALIASES.get(alias.toLowerCase());
  return name ? OBJECT_TYPES[name] : undefined;
}
