/**
 * Dataverse's OData error: `{"error":{"code":"0x…","message":"…"}}` with an HTTP status, and the errors the
 * sandbox answers, each with the page it comes from. Codes marked [infer] were not found in Microsoft's docs
 * and follow the family Dataverse uses for that kind of failure.
 */
export class DataverseError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return { error: { code: this.code, message: this.message } };
  }
}

/** "Compose HTTP requests and handle errors" and "Query data using the Web API": an unknown entity set. */
export const segmentNotFound = (segment: string) => new DataverseError(404, '0x8006088a', `Resource not found for the segment '${segment}'.`);

/** "Retrieve a table row using the Web API" (a missing row); 0x80040217 is ObjectDoesNotExist in the error-code list. */
export const rowNotFound = (logicalName: string, id: string) => new DataverseError(404, '0x80040217', `${logicalName} With Id = ${id} Does Not Exist`);

/** "Use an alternate key to reference a record": no row has the key values [message: infer]. */
export const keyNotFound = (logicalName: string) => new DataverseError(404, '0x80040217', `A record with the specified key values does not exist in ${logicalName} entity`);

/** OData's message for an unknown property in $select/$filter/$orderby ("Query data using the Web API" examples). */
export const unknownProperty = (name: string, logicalName: string) => new DataverseError(400, '0x80060888', `Could not find a property named '${name}' on type 'Microsoft.Dynamics.CRM.${logicalName}'.`);

/** OData's message for an unknown property in a request body. */
export const unknownBodyProperty = (name: string, logicalName: string) =>
  new DataverseError(400, '0x80060888', `The property '${name}' does not exist on type 'Microsoft.Dynamics.CRM.${logicalName}'. Make sure to only use property names that are defined by the type or mark the type as open type.`);

/** A malformed query option (OData URI parser). */
export const syntaxError = (message: string) => new DataverseError(400, '0x80060888', message);

/** "Perform conditional operations using the Web API", Apply optimistic concurrency: the 412 on an etag mismatch. */
export const versionMismatch = () => new DataverseError(412, '0x80060882', "The version of the existing record doesn't match the RowVersion property provided.");

/** Same page, "Prevent update in upsert": `If-None-Match: *` on a row that exists. */
export const alreadyExists = () => new DataverseError(412, '0x80040237', 'A record with matching key values already exists.');

/** "Define alternate keys for a table": a duplicate alternate key value on create [code and message: infer]. */
export const duplicateKey = (keyDisplay: string) =>
  new DataverseError(412, '0x80060892', `A record that has the attribute values ${keyDisplay} already exists. The entity key ${keyDisplay} Key requires that this set of attributes contains unique values. Select unique values and try again.`);

/** "Associate and disassociate table rows": writing `_x_value` instead of `x@odata.bind`. */
export const directLookupWrite = () => new DataverseError(400, '0x80048d19', 'CRM do not support direct update of Entity Reference properties, Use Navigation properties instead.');

/** An option-set value outside the column's options [code 0x8004431a and wording: infer from real responses]. */
export const outOfRange = (value: number | string, column: string, logicalName: string, accepted: number[]) =>
  new DataverseError(400, '0x8004431a', `A validation error occurred. The value ${value} of '${column}' on record of type '${logicalName}' is outside the valid range. Accepted Values: ${accepted.join(',')}`);

/** A value of the wrong JSON type for a column (OData deserializer) [wording: infer]. */
export const badValue = (column: string, expected: string) => new DataverseError(400, '0x80060888', `Cannot convert the literal value of property '${column}' to the expected type '${expected}'.`);

/** A string longer than the column's MaxLength [code: infer]. */
export const tooLong = (column: string, max: number) => new DataverseError(400, '0x80044331', `A validation error occurred. The length of the '${column}' attribute exceeded the maximum allowed length of '${max}'.`);

/** "Use change tracking to synchronize data with external systems": query options not allowed with track-changes. */
export const trackChangesOption = (option: string) => new DataverseError(400, '0x80060888', `The "${option}" query parameter isn't supported when Change Tracking is enabled.`);

/** Change tracking asked of a table that has it off [code and wording: unverified]. */
export const changeTrackingDisabled = (logicalName: string) => new DataverseError(400, '0x80060888', `Change tracking is not enabled for the entity '${logicalName}'.`);

/** ExpiredVersionStamp (0x80044352): a delta token older than ExpireChangeTrackingInDays (change-tracking page; message as the SDK reports it). */
export const expiredDeltaToken = () => new DataverseError(400, '0x80044352', 'Version stamp associated with the client has expired. Please perform a full sync.');

/** The application user lacks a privilege (systemusers are read-only through the sandbox's API) [wording: infer]. */
export const missingPrivilege = (userId: string, privilege: string, logicalName: string) =>
  new DataverseError(403, '0x80040220', `Principal user (Id=${userId}, type=8, roleCount=1, privilegeCount=0, accessMode=4), is missing ${privilege} privilege on OTC=8 for entity '${logicalName}'.`);

export const methodNotAllowed = (method: string) => new DataverseError(405, '0x80060888', `The HTTP method '${method}' is not allowed for this resource.`);
