/**
 * SOQL errors as Salesforce words them. A query error repeats the offending line of the query, puts a caret
 * under the column, then names the row and column (both 1-based) before the reason:
 *
 *     \nSELECT Id FROM Foo\n               ^\nERROR at Row:1:Column:16\nsObject type 'Foo' is not supported. ...
 *
 * Salesforce shortens the echoed text of long queries to a window around the error; the sandbox always echoes
 * the whole line, which keeps the row/column and the reason (what clients match on) identical.
 */
import { SalesforceError } from '../model';

export type SoqlErrorCode =
  | 'MALFORMED_QUERY'
  | 'INVALID_TYPE'
  | 'INVALID_FIELD'
  | 'INVALID_QUERY_FILTER_OPERATOR'
  | 'NUMBER_OUTSIDE_VALID_RANGE';

/** A 400 query error; `offset` is the 0-based position in `soql` the caret points at, when known. */
export function queryError(soql: string, offset: number | undefined, errorCode: SoqlErrorCode, reason: string): SalesforceError {
  return new SalesforceError(400, errorCode, offset === undefined ? reason : `${caretBlock(soql, offset)}${reason}`);
}

function caretBlock(soql: string, offset: number): string {
  const at = Math.max(0, Math.min(offset, soql.length));
  const lineStart = soql.lastIndexOf('\n', at - 1) + 1;
  const lineEndIndex = soql.indexOf('\n', at);
  const line = soql.slice(lineStart, lineEndIndex < 0 ? soql.length : lineEndIndex).replace(/\r$/, '');
  let row = 1;
  for (let i = 0; i < lineStart; i++) if (soql.charCodeAt(i) === 10) row++;
  const column = at - lineStart + 1;
  return `\n${line}\n${' '.repeat(column - 1)}^\nERROR at Row:${row}:Column:${column}\n`;
}

export function unexpectedToken(soql: string, offset: number | undefined, token: string | undefined): SalesforceError {
  return queryError(soql, offset, 'MALFORMED_QUERY', `unexpected token: '${token ?? '<EOF>'}'`);
}

/** For constructs real Salesforce accepts but the sandbox does not implement: say so rather than pretend. */
export function notSupported(soql: string, offset: number | undefined, what: string): SalesforceError {
  return queryError(soql, offset, 'MALFORMED_QUERY', `${what} is not supported by the hubsync Salesforce sandbox`);
}

export function noSuchColumn(soql: string, offset: number | undefined, field: string, entity: string): SalesforceError {
  return queryError(
    soql,
    offset,
    'INVALID_FIELD',
    `No such column '${field}' on entity '${entity}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
  );
}

export function unknownRelationship(soql: string, offset: number | undefined, relationship: string): SalesforceError {
  return queryError(
    soql,
    offset,
    'INVALID_FIELD',
    `Didn't understand relationship '${relationship}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
  );
}

export function unknownObject(soql: string, offset: number | undefined, objectName: string): SalesforceError {
  return queryError(
    soql,
    offset,
    'INVALID_TYPE',
    `sObject type '${objectName}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
  );
}
