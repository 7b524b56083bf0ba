/**
 * compileSoql: parse, validate against the object schemas, and compile every clause into closures, throwing
 * the 400 error Salesforce would answer with. Syntax comes first, then the FROM object, then the clauses in the
 * order they are written, so a query with several problems reports the one Salesforce reports.
 */
import { type FieldType as SelectItem, type Query } from '@jetstreamapp/soql-parser-js';
import { type DataSource, type ObjectSchema } from '../model';
import { notSupported, queryError, unexpectedToken, unknownObject } from './errors';
import { resolvePath, type PathContext, type ResolvedPath } from './fields';
import { compileOrderBy, type OrderKey } from './order';
import { locate, type QueryPositions } from './positions';
import { buildProjection, type ProjectionNode } from './project';
import { parseSoql } from './syntax';
import { compileWhere, type FilterFactory } from './where';

/** Salesforce rejects larger offsets with NUMBER_OUTSIDE_VALID_RANGE (SOQL OFFSET documentation). */
export const MAX_OFFSET = 2000;

/** A compiled query: everything executeSoql and projectRecord need, with no AST left to interpret. */
export interface SoqlQuery {
  readonly soql: string;
  readonly object: ObjectSchema;
  /** `SELECT COUNT() FROM ...`: the result is a count, without rows. */
  readonly isCount: boolean;
  /** Canonical SELECT paths in order, e.g. `['Id', 'Subject', 'Owner.Email']` (CSV headers for Bulk API). */
  readonly columns: readonly string[];
  readonly projection: readonly ProjectionNode[];
  readonly filter: FilterFactory | undefined;
  readonly orderBy: readonly OrderKey[];
  readonly limit: number | undefined;
  readonly offset: number;
}

export function compileSoql(soql: string, ds: DataSource): SoqlQuery {
  const ast = parseSoql(soql);
  const positions = locate(soql);
  const objectName = ast.sObject ?? '';
  const object = ds.getObject(objectName);
  if (!object) throw unknownObject(soql, positions.object, objectName);
  rejectUnsupportedClauses(ast, soql, positions);
  const ctx: PathContext = { soql, ds, root: object, alias: ast.sObjectAlias };

  const { isCount, paths } = compileSelect(ast.fields ?? [], ctx, positions);
  const filter = ast.where ? compileWhere(ast.where, { ...ctx, positions }) : undefined;
  const orderBy = ast.orderBy ? compileOrderBy(ast.orderBy, ctx, positions.orderBy) : [];
  const offset = ast.offset ?? 0;
  if (offset > MAX_OFFSET) {
    throw queryError(soql, positions.offsetValue, 'NUMBER_OUTSIDE_VALID_RANGE', `Maximum SOQL offset allowed is ${MAX_OFFSET}`);
  }
  return {
    soql,
    object,
    isCount,
    columns: paths.map((p) => p.canonical),
    projection: buildProjection(paths),
    filter,
    orderBy,
    limit: ast.limit,
    offset,
  };
}

function rejectUnsupportedClauses(ast: Query, soql: string, positions: QueryPositions): void {
  const { clause } = positions;
  if (ast.groupBy) throw notSupported(soql, clause.GROUP, 'GROUP BY');
  if (ast.having) throw notSupported(soql, clause.HAVING, 'HAVING');
  if (ast.usingScope) throw notSupported(soql, clause.USING, 'USING SCOPE');
  if (ast.withDataCategory) throw notSupported(soql, clause.WITH, 'WITH DATA CATEGORY');
  // FOR VIEW / FOR REFERENCE only update "recently viewed" bookkeeping, and WITH SECURITY_ENFORCED / USER_MODE
  // only enforce permissions the sandbox does not model: both are accepted and have no effect.
  if (ast.for === 'UPDATE' || ast.update) throw notSupported(soql, clause.FOR ?? clause.UPDATE, ast.update ? `UPDATE ${ast.update}` : 'FOR UPDATE');
}

function compileSelect(items: SelectItem[], ctx: PathContext, positions: QueryPositions): { isCount: boolean; paths: ResolvedPath[] } {
  const { soql } = ctx;
  const paths: ResolvedPath[] = [];
  const seen = new Set<string>();
  let isCount = false;
  items.forEach((item, i) => {
    const at = positions.select[i];
    if ('alias' in item && item.alias !== undefined) {
      throw queryError(soql, at?.aliasStart ?? at?.start, 'MALFORMED_QUERY', 'Only aggregate expressions use field aliasing');
    }
    switch (item.type) {
      case 'Field':
      case 'FieldRelationship': {
        const written = item.type === 'Field' ? item.field : [...item.relationships, item.field].join('.');
        const path = resolvePath(ctx, written, at?.start);
        const key = path.canonical.toLowerCase();
        if (seen.has(key)) throw queryError(soql, at?.start, 'INVALID_FIELD', `duplicate field selected: ${path.canonical}`);
        seen.add(key);
        paths.push(path);
        return;
      }
      case 'FieldFunctionExpression':
        if (item.functionName.toUpperCase() === 'COUNT' && item.parameters.length === 0) {
          isCount = true;
          return;
        }
        throw notSupported(soql, at?.start, item.rawValue ?? `${item.functionName}()`);
      case 'FieldSubquery':
        throw notSupported(soql, at?.start, `The relationship subquery on ${item.subquery.relationshipName}`);
      case 'FieldTypeof':
        throw notSupported(soql, at?.start, 'TYPEOF');
    }
  });
  // COUNT() stands alone: Salesforce's grammar has no SELECT list that mixes it with fields.
  if (isCount && items.length > 1) {
    const countIndex = items.findIndex((item) => item.type === 'FieldFunctionExpression');
    const culprit = positions.select[countIndex === 0 ? 1 : countIndex];
    throw unexpectedToken(soql, culprit?.start, culprit?.text);
  }
  return { isCount, paths };
}
