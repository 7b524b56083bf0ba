/**
 * The sandbox's SOQL engine. The server compiles a query once, executes it once when the query starts (the
 * row set is then fixed, like a Salesforce query cursor), and projects the rows of each page as it serves them:
 *
 *     const query = compileSoql(soql, ds);                  // SalesforceError 400 on any query error
 *     const result = executeSoql(query, ds, { scanAll });  // { totalSize, isCount, records }
 *     const json = projectRecord(query, result.records[i], ds, '62.0');
 */
export { compileSoql, MAX_OFFSET, type SoqlQuery } from './compile';
export { executeSoql, projectRecord, type ExecuteOptions, type SoqlResult } from './execute';
