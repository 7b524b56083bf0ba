/**
 * Field paths (`Subject`, `Owner.Email`, `What.Name`, `Owner.Manager.Email`) resolved against the object
 * schemas once at compile time, and turned into readers that run per row.
 *
 * A relationship segment names a reference field by its `relationshipName` (Owner → OwnerId). The reader follows
 * the ID with `ds.getRecord` and reads the next segment on whatever record it finds: for a polymorphic lookup
 * (Task.What, Task.Who, Task.Owner) the referenced type is only known per row, so names are resolved per record
 * type, once per type, and cached.
 */
import { type DataSource, type FieldSchema, type FieldValue, type ObjectSchema, type StoredRecord } from '../model';
import { noSuchColumn, unknownRelationship } from './errors';

export type Reader = (record: StoredRecord, ds: DataSource) => FieldValue;
export type Follower = (record: StoredRecord, ds: DataSource) => StoredRecord | undefined;
/** Reads one field of a record (no relationship to follow). */
export type LeafReader = (record: StoredRecord) => FieldValue;

function syntheticField(name: string, type: FieldSchema['type']): FieldSchema {
  return {
    name,
    label: name,
    type,
    length: type === 'id' ? 18 : 0,
    nillable: false,
    createable: false,
    updateable: false,
    filterable: true,
    sortable: true,
    defaultedOnCreate: true,
    externalId: false,
    unique: false,
    custom: false,
    calculated: false,
    referenceTo: [],
    relationshipName: null,
    picklistValues: [],
  };
}

/** Every object has Id and IsDeleted, whether or not a schema lists them; the record carries both natively. */
const ID_FIELD = syntheticField('Id', 'id');
const IS_DELETED_FIELD = syntheticField('IsDeleted', 'boolean');
/** `What.Type` on a polymorphic lookup: the referenced record's object type. */
const TYPE_FIELD = syntheticField('Type', 'string');

export function findField(object: ObjectSchema, name: string): FieldSchema | undefined {
  const lower = name.toLowerCase();
  const field = object.fields.find((f) => f.name.toLowerCase() === lower);
  if (field) return field;
  if (lower === 'id') return ID_FIELD;
  if (lower === 'isdeleted') return IS_DELETED_FIELD;
  return undefined;
}

function findRelationship(object: ObjectSchema, name: string): FieldSchema | undefined {
  const lower = name.toLowerCase();
  return object.fields.find((f) => f.type === 'reference' && f.relationshipName?.toLowerCase() === lower);
}

/** A reader for a field whose canonical name is known. */
export function leafReader(field: FieldSchema): LeafReader {
  const name = field.name;
  if (field === TYPE_FIELD) return (r) => r.type;
  if (name === 'Id') return (r) => r.id;
  if (name === 'IsDeleted') return (r) => r.isDeleted;
  return (r) => r.fields[name] ?? null;
}

/** Memoises a per-object-type resolution; `ds.getObject` runs once per type seen, not per row. */
function perType<T>(ds: DataSource, resolve: (object: ObjectSchema | undefined) => T): (type: string) => T {
  const cache = new Map<string, T>();
  return (type) => {
    let hit = cache.get(type);
    if (hit === undefined && !cache.has(type)) {
      hit = resolve(ds.getObject(type));
      cache.set(type, hit);
    }
    return hit as T;
  };
}

const nullReader: LeafReader = () => null;

/** Reads the field named `name` on a record of any type (after a relationship hop); null where it has none. */
export function dynamicLeaf(ds: DataSource, name: string): LeafReader {
  const readerFor = perType(ds, (object) => {
    const field = object && findField(object, name);
    return field ? leafReader(field) : nullReader;
  });
  return (r) => readerFor(r.type)(r);
}

/** Follows the relationship named `name` from a record of any type. */
export function dynamicFollower(ds: DataSource, name: string): Follower {
  const refFieldFor = perType(ds, (object) => (object && findRelationship(object, name)?.name) ?? null);
  return (r, source) => {
    const ref = refFieldFor(r.type);
    if (ref === null) return undefined;
    const id = r.fields[ref];
    return typeof id === 'string' && id !== '' ? source.getRecord(id) : undefined;
  };
}

/** Follows a relationship of the queried object itself, whose reference field is known statically. */
export function staticFollower(refField: string): Follower {
  return (r, ds) => {
    const id = r.fields[refField];
    return typeof id === 'string' && id !== '' ? ds.getRecord(id) : undefined;
  };
}

export interface Hop {
  /** Canonical relationship name, e.g. `Owner`: the key of the nested object in query results. */
  relationshipName: string;
  follow: Follower;
}

export interface ResolvedPath {
  hops: Hop[];
  /** The field's metadata; for a polymorphic path, from the first referenced type that has the field. */
  field: FieldSchema;
  /** Canonical dotted path, e.g. `Owner.Email`. */
  canonical: string;
  read: Reader;
  /** Reads the final field on the record the hops lead to. */
  leaf: LeafReader;
}

export interface PathContext {
  soql: string;
  ds: DataSource;
  root: ObjectSchema;
  /** The FROM alias (`FROM Task t`), which may prefix paths. */
  alias: string | undefined;
}

/**
 * Resolves a dotted path written in the query. Throws INVALID_FIELD ("No such column" / "Didn't understand
 * relationship") with the caret at `offset`.
 */
export function resolvePath(ctx: PathContext, path: string, offset: number | undefined): ResolvedPath {
  const segments = path.split('.');
  const first = segments[0]?.toLowerCase();
  // `t.Name` with `FROM Task t`, or `Task.Name` on Task, unless Task has a relationship of that name.
  if (segments.length > 1 && first !== undefined) {
    const isAlias = ctx.alias !== undefined && first === ctx.alias.toLowerCase();
    const isSelf = first === ctx.root.name.toLowerCase() && !findRelationship(ctx.root, first);
    if (isAlias || isSelf) segments.shift();
  }
  const fieldName = segments.pop() ?? '';
  let targets: ObjectSchema[] = [ctx.root];
  let polymorphic = false;
  const hops: Hop[] = [];
  for (const segment of segments) {
    const refs = targets.map((t) => findRelationship(t, segment)).filter((f): f is FieldSchema => f !== undefined);
    const ref = refs[0];
    if (!ref) throw unknownRelationship(ctx.soql, offset, segment);
    const referenceTo = [...new Set(refs.flatMap((f) => f.referenceTo))];
    polymorphic = referenceTo.length > 1;
    hops.push({
      relationshipName: ref.relationshipName ?? segment,
      follow: hops.length === 0 ? staticFollower(ref.name) : dynamicFollower(ctx.ds, segment),
    });
    targets = referenceTo.map((name) => ctx.ds.getObject(name)).filter((o): o is ObjectSchema => o !== undefined);
  }
  // A polymorphic lookup points at Salesforce's `Name` entity, whose Type is the referenced object's type.
  const objectType = polymorphic && fieldName.toLowerCase() === 'type';
  const field = objectType ? TYPE_FIELD : targets.map((t) => findField(t, fieldName)).find((f) => f !== undefined);
  if (!field) throw noSuchColumn(ctx.soql, offset, fieldName, polymorphic ? 'Name' : (targets[0]?.name ?? fieldName));
  const leaf = hops.length === 0 || objectType ? leafReader(field) : dynamicLeaf(ctx.ds, fieldName);
  return {
    hops,
    field,
    canonical: [...hops.map((h) => h.relationshipName), field.name].join('.'),
    read: chainReader(hops, leaf),
    leaf,
  };
}

function chainReader(hops: Hop[], leaf: LeafReader): Reader {
  const [first, ...rest] = hops;
  if (!first) return (r) => leaf(r);
  if (rest.length === 0) {
    const follow = first.follow;
    return (r, ds) => {
      const parent = follow(r, ds);
      return parent ? leaf(parent) : null;
    };
  }
  return (r, ds) => {
    let current: StoredRecord | undefined = r;
    for (const hop of hops) {
      current = hop.follow(current, ds);
      if (!current) return null;
    }
    return leaf(current);
  };
}
