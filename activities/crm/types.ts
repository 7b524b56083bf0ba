/**
 * What hubsync needs to know of a CRM object's schema, in the shape Salesforce's describe returns
 * (other connectors translate theirs into it). Validation of mappings works on this, never on raw API output.
 */
export interface CrmFieldDescribe {
  name: string;
  label: string;
  type: string;
  createable: boolean;
  updateable: boolean;
  nillable: boolean;
  externalId: boolean;
  idLookup: boolean;
  unique: boolean;
  calculated: boolean;
  defaultedOnCreate: boolean;
  referenceTo: string[];
  relationshipName: string | null;
  picklistValues: Array<{ value: string; active: boolean }>;
  /** Only the listed picklist values are accepted (W3 checks a write-back value against them). */
  restrictedPicklist: boolean;
  /** Maximum length of a text value (0 when the type has none). */
  length: number;
}

export interface CrmObjectDescribe {
  name: string;
  label: string;
  createable: boolean;
  updateable: boolean;
  queryable: boolean;
  fields: CrmFieldDescribe[];
}

/** Looks up an object's describe; undefined when the CRM has no such object. */
export type DescribeLookup = (objectName: string) => Promise<CrmObjectDescribe | undefined>;

export function findField(object: CrmObjectDescribe, name: string): CrmFieldDescribe | undefined {
  const wanted = name.toLowerCase();
  return object.fields.find((f) => f.name.toLowerCase() === wanted);
}

/** The reference field whose relationship name is `relationship` (Owner → OwnerId), case-insensitively. */
export function findRelationship(object: CrmObjectDescribe, relationship: string): CrmFieldDescribe | undefined {
  const wanted = relationship.toLowerCase();
  return object.fields.find((f) => f.type === 'reference' && f.relationshipName?.toLowerCase() === wanted);
}

export type IssueSeverity = 'error' | 'warning';

/** One problem found validating a job (its mapping, its filter): what is wrong, where, and the fix (T9). */
export interface ValidationIssue {
  severity: IssueSeverity;
  code: string;
  /** 1-based mapping row, when the issue is about one row. */
  row?: number;
  message: string;
  fix: string;
}
