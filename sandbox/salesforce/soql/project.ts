/**
 * The JSON shape of one query row, as the REST API returns it:
 *
 *     { attributes: { type: 'Task', url: '/services/data/v62.0/sobjects/Task/00T...' },
 *       Id: '00T...', Subject: 'Call', Owner: { attributes: { type: 'User', url: ... }, Email: 'a@b.c' } }
 *
 * Columns come in SELECT order with canonical names. Fields reached through the same relationship share one
 * nested object (placed where the relationship first appears), whose `attributes.type` is the referenced
 * record's own type (a polymorphic What may be an Account on one row, an Opportunity on the next); an empty
 * lookup gives `Owner: null`. Values use Salesforce's JSON formats: datetimes `2013-05-07T22:07:19.000+0000`,
 * dates `YYYY-MM-DD`, numbers and booleans as JSON numbers and booleans.
 */
import { type DataSource, type FieldSchema, type FieldValue, type StoredRecord } from '../model';
import { dateString, formatDatetime } from './dates';
import { type Follower, type LeafReader, type ResolvedPath } from './fields';

type Formatter = (value: FieldValue) => FieldValue;

export type ProjectionNode =
  | { kind: 'field'; name: string; read: LeafReader; format: Formatter }
  | { kind: 'relationship'; name: string; follow: Follower; children: ProjectionNode[] };

const asIs: Formatter = (v) => v;

function asNumber(v: FieldValue): FieldValue {
  if (typeof v === 'number' || v === null) return v;
  const n = Number(v);
  return v === '' || n !== n ? null : n;
}

function asBoolean(v: FieldValue): FieldValue {
  return typeof v === 'boolean' || v === null ? v : v === 'true';
}

function formatterFor(field: FieldSchema): Formatter {
  switch (field.type) {
    case 'datetime':
      return formatDatetime;
    case 'date':
      return dateString;
    case 'int':
    case 'double':
    case 'currency':
    case 'percent':
      return asNumber;
    case 'boolean':
      return asBoolean;
    default:
      return asIs;
  }
}

/** Builds the projection tree for SELECT paths, merging paths that go through the same relationship. */
export function buildProjection(paths: ResolvedPath[]): ProjectionNode[] {
  const root: ProjectionNode[] = [];
  for (const path of paths) {
    let level = root;
    for (const hop of path.hops) {
      const lower = hop.relationshipName.toLowerCase();
      let node = level.find(
        (n): n is Extract<ProjectionNode, { kind: 'relationship' }> => n.kind === 'relationship' && n.name.toLowerCase() === lower,
      );
      if (!node) {
        node = { kind: 'relationship', name: hop.relationshipName, follow: hop.follow, children: [] };
        level.push(node);
      }
      level = node.children;
    }
    level.push({ kind: 'field', name: path.field.name, read: path.leaf, format: formatterFor(path.field) });
  }
  return root;
}

export function projectNodes(nodes: readonly ProjectionNode[], record: StoredRecord, ds: DataSource, apiVersion: string): Record<string, unknown> {
  const row: Record<string, unknown> = {
    attributes: { type: record.type, url: `/services/data/v${apiVersion}/sobjects/${record.type}/${record.id}` },
  };
  for (const node of nodes) {
    if (node.kind === 'field') {
      row[node.name] = node.format(node.read(record));
    } else {
      const parent = node.follow(record, ds);
      row[node.name] = parent ? projectNodes(node.children, parent, ds, apiVersion) : null;
    }
  }
  return row;
}
