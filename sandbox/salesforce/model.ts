/**
 * The contract between the Salesforce sandbox's store (server side) and its SOQL engine (soql/): object
 * schemas as Salesforce describes them, stored records, and the errors Salesforce answers with.
 * Records are immutable: the store replaces a record object on every write and never mutates one, so a
 * query cursor that holds record references keeps the result set it had when the query started.
 */

/** Field types as `describe` reports them (`type` of a DescribeFieldResult). */
export type FieldType =
  | 'id'
  | 'string'
  | 'textarea'
  | 'email'
  | 'phone'
  | 'url'
  | 'picklist'
  | 'multipicklist'
  | 'combobox'
  | 'boolean'
  | 'int'
  | 'double'
  | 'currency'
  | 'percent'
  | 'date'
  | 'datetime'
  | 'reference';

export interface PicklistValue {
  value: string;
  label: string;
  active: boolean;
  defaultValue: boolean;
  /** TaskStatus: whether this status closes the task (drives Task.IsClosed). */
  closed?: boolean;
}

export interface FieldSchema {
  /** Canonical API name, e.g. `OwnerId`, `Tier__c`. Lookups by name are case-insensitive. */
  name: string;
  label: string;
  type: FieldType;
  length: number;
  nillable: boolean;
  createable: boolean;
  updateable: boolean;
  filterable: boolean;
  sortable: boolean;
  defaultedOnCreate: boolean;
  externalId: boolean;
  unique: boolean;
  custom: boolean;
  /** Derived by the platform (formula, roll-up, AccountId on activities, IsClosed...). */
  calculated: boolean;
  /** For `reference` fields: the object types the ID may point to (several when polymorphic). */
  referenceTo: string[];
  /** For `reference` fields: the relationship name used in SOQL paths, e.g. `Owner` for `OwnerId`. */
  relationshipName: string | null;
  picklistValues: PicklistValue[];
}

export interface ObjectSchema {
  /** Canonical API name, e.g. `Task`, `Project__c`. */
  name: string;
  label: string;
  labelPlural: string;
  /** The 3-character ID prefix of the object's records, e.g. `00T` for Task. */
  keyPrefix: string;
  custom: boolean;
  fields: FieldSchema[];
}

export type FieldValue = string | number | boolean | null;

/** One stored record. `fields` uses canonical field names and always includes `Id`. */
export interface StoredRecord {
  readonly type: string;
  readonly id: string;
  readonly isDeleted: boolean;
  readonly fields: Readonly<Record<string, FieldValue>>;
}

/** What the SOQL engine needs from the store. Object and field names are matched case-insensitively. */
export interface DataSource {
  getObject(name: string): ObjectSchema | undefined;
  /** Every record of the object, deleted ones included (their `isDeleted` is true). */
  records(objectName: string): Iterable<StoredRecord>;
  /** Any record by its 15- or 18-character ID, deleted ones included; undefined when unknown. */
  getRecord(id: string): StoredRecord | undefined;
  /** The sandbox clock, which relative date literals (TODAY, LAST_N_DAYS:n) are evaluated against. */
  now(): Date;
}

/**
 * An error as Salesforce answers it. Single-resource calls render it as a one-element array
 * `[{message, errorCode, fields?}]` with `status`; sObject Collections render `{statusCode, message, fields}`
 * inside the per-record `errors` array.
 */
export class SalesforceError extends Error {
  override readonly name = 'SalesforceError';
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly fields: string[] = [],
  ) {
    super(message);
  }
}
