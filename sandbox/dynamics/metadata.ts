/**
 * Table definitions through the Web API: `EntityDefinitions` (list, `$filter`, `$select`), one table by
 * `(LogicalName='account')` or MetadataId, its `Attributes` (all, one by LogicalName, or cast to a type such as
 * `Microsoft.Dynamics.CRM.PicklistAttributeMetadata` with `$expand=OptionSet`), its `Keys`, and `$expand` of
 * `Attributes`/`Keys` on the table. What dynamics-web-api's retrieveEntity, retrieveEntities,
 * retrieveAttributes and retrieveAttribute send.
 *
 * Sources: "Query table definitions using the Web API" (EntityDefinitions, LogicalName keys, casts, OptionSet
 * expansion, labels with LocalizedLabels and UserLocalizedLabel, `@odata.type` on derived attribute types,
 * complex properties such as `AttributeTypeName/Value` and `RequiredLevel/Value`); the EntityMetadata,
 * AttributeMetadata and OptionSetMetadata EntityType/ComplexType reference pages for property names. A missing
 * table answers the metadata cache's 404 (0x80040217, wording as real responses show it).
 */
import { createHash } from 'node:crypto';
import { DataverseError, segmentNotFound, syntaxError } from './errors';
import { evaluate, parseFilter, type Edm } from './filter';
import { ok, type DvRequest, type DvResponse, type KeyPredicate, type Segment } from './http';
import type { ApiContext } from './query';
import { splitTop } from './render';
import { TABLES, tableByLogicalName, type ColumnDef, type OptionDef, type TableDef } from './schema';

type Json = Record<string, unknown>;

/** A stable MetadataId per name (real ones are fixed per org too). */
function metadataId(name: string): string {
  const h = createHash('sha1').update(`hubsync-sandbox:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function label(text: string, owner: string): Json {
  const l = { Label: text, LanguageCode: 1033, IsManaged: true, MetadataId: metadataId(`label:${owner}`), HasChanged: null };
  return { LocalizedLabels: text ? [l] : [], UserLocalizedLabel: text ? l : null };
}

const managed = (value: boolean, name: string) => ({ Value: value, CanBeChanged: true, ManagedPropertyLogicalName: name });

const TYPE_NAME: Record<ColumnDef['type'], { odata: string; typeName: string }> = {
  Uniqueidentifier: { odata: 'UniqueIdentifierAttributeMetadata', typeName: 'UniqueidentifierType' },
  String: { odata: 'StringAttributeMetadata', typeName: 'StringType' },
  Memo: { odata: 'MemoAttributeMetadata', typeName: 'MemoType' },
  Integer: { odata: 'IntegerAttributeMetadata', typeName: 'IntegerType' },
  BigInt: { odata: 'BigIntAttributeMetadata', typeName: 'BigIntType' },
  Money: { odata: 'MoneyAttributeMetadata', typeName: 'MoneyType' },
  Picklist: { odata: 'PicklistAttributeMetadata', typeName: 'PicklistType' },
  MultiSelectPicklist: { odata: 'MultiSelectPicklistAttributeMetadata', typeName: 'MultiSelectPicklistType' },
  State: { odata: 'StateAttributeMetadata', typeName: 'StateType' },
  Status: { odata: 'StatusAttributeMetadata', typeName: 'StatusType' },
  DateTime: { odata: 'DateTimeAttributeMetadata', typeName: 'DateTimeType' },
  Boolean: { odata: 'BooleanAttributeMetadata', typeName: 'BooleanType' },
  Lookup: { odata: 'LookupAttributeMetadata', typeName: 'LookupType' },
  Owner: { odata: 'LookupAttributeMetadata', typeName: 'OwnerType' },
  Customer: { odata: 'LookupAttributeMetadata', typeName: 'CustomerType' },
  Virtual: { odata: 'AttributeMetadata', typeName: 'VirtualType' },
};
const CASTS = new Set(Object.values(TYPE_NAME).map((t) => `Microsoft.Dynamics.CRM.${t.odata}`));
const ENUM_TYPES = new Set<ColumnDef['type']>(['Picklist', 'MultiSelectPicklist', 'State', 'Status', 'Boolean']);

const STRING_FORMAT: Record<string, string> = { websiteurl: 'Url', emailaddress1: 'Email', internalemailaddress: 'Email', telephone1: 'Phone' };

function optionJson(o: OptionDef, owner: string): Json {
  return {
    Value: o.value,
    Color: null,
    IsManaged: true,
    ExternalValue: null,
    ParentValues: [],
    Tag: null,
    IsHidden: false,
    MetadataId: null,
    HasChanged: null,
    Label: label(o.label, `${owner}:${o.value}`),
    Description: label('', `${owner}:${o.value}:d`),
    ...(o.state !== undefined ? { State: o.state, TransitionData: null } : {}),
    ...(o.defaultStatus !== undefined ? { DefaultStatus: o.defaultStatus, InvariantName: o.label } : {}),
  };
}

function optionSetJson(t: TableDef, c: ColumnDef): Json {
  const owner = `${t.logicalName}.${c.name}`;
  const base = { MetadataId: metadataId(`optionset:${owner}`), HasChanged: null, IsCustomOptionSet: Boolean(c.custom), IsGlobal: false, IsManaged: !c.custom, Name: `${t.logicalName}_${c.name}`, ExternalTypeName: null, Description: label('', `${owner}:os:d`), DisplayName: label(c.displayName, `${owner}:os`) };
  if (c.type === 'Boolean') {
    const [f, tr] = c.booleanLabels ?? ['No', 'Yes'];
    return { ...base, OptionSetType: 'Boolean', TrueOption: optionJson({ value: 1, label: tr }, owner), FalseOption: optionJson({ value: 0, label: f }, owner) };
  }
  const type = c.type === 'State' ? 'State' : c.type === 'Status' ? 'Status' : 'Picklist';
  return { ...base, OptionSetType: type, ParentOptionSetName: null, Options: (c.options ?? []).map((o) => optionJson(o, owner)) };
}

function attributeJson(t: TableDef, c: ColumnDef, index: number): Json {
  const { odata, typeName } = TYPE_NAME[c.type];
  const json: Json = {
    '@odata.type': `#Microsoft.Dynamics.CRM.${odata}`,
    MetadataId: metadataId(`attribute:${t.logicalName}.${c.name}`),
    HasChanged: null,
    AttributeOf: c.attributeOf ?? null,
    AttributeType: c.type,
    AttributeTypeName: { Value: typeName },
    ColumnNumber: index + 1,
    Description: label('', `${t.logicalName}.${c.name}:d`),
    DisplayName: label(c.displayName, `${t.logicalName}.${c.name}`),
    EntityLogicalName: t.logicalName,
    IsCustomAttribute: Boolean(c.custom),
    IsLogical: Boolean(c.attributeOf),
    IsManaged: !c.custom,
    IsPrimaryId: c.name === t.primaryId,
    IsPrimaryName: c.name === t.primaryName,
    IsValidForCreate: c.createable !== false,
    IsValidForUpdate: c.updateable !== false,
    IsValidForRead: true,
    IsValidForAdvancedFind: managed(!c.attributeOf, 'canmodifysearchsettings'),
    IsAuditEnabled: managed(true, 'canmodifyauditsettings'),
    IsSecured: false,
    LogicalName: c.name,
    SchemaName: c.schemaName,
    RequiredLevel: { Value: c.required ?? 'None', CanBeChanged: true, ManagedPropertyLogicalName: 'canmodifyrequirementlevelsettings' },
    SourceType: 0,
    IntroducedVersion: c.custom ? '1.0.0.0' : '5.0.0.0',
  };
  switch (c.type) {
    case 'String':
      Object.assign(json, { MaxLength: c.maxLength, DatabaseLength: (c.maxLength ?? 0) * 2, Format: STRING_FORMAT[c.name] ?? 'Text', FormatName: { Value: STRING_FORMAT[c.name] ?? 'Text' }, ImeMode: 'Auto', YomiOf: null });
      break;
    case 'Memo':
      Object.assign(json, { MaxLength: c.maxLength, DatabaseLength: (c.maxLength ?? 0) * 2, Format: 'TextArea', FormatName: { Value: 'TextArea' }, ImeMode: 'Auto' });
      break;
    case 'Integer':
      Object.assign(json, { MinValue: -2147483648, MaxValue: 2147483647, Format: 'None' });
      break;
    case 'BigInt':
      Object.assign(json, { MinValue: -9223372036854775808, MaxValue: 9223372036854775807 });
      break;
    case 'Money':
      Object.assign(json, { MinValue: -922337203685477, MaxValue: 922337203685477, Precision: 2, PrecisionSource: 2, ImeMode: 'Auto', IsBaseCurrency: false });
      break;
    case 'DateTime':
      Object.assign(json, { Format: 'DateAndTime', DateTimeBehavior: { Value: 'UserLocal' }, CanChangeDateTimeBehavior: managed(false, 'canchangedatetimebehavior'), ImeMode: 'Inactive' });
      break;
    case 'Boolean':
      Object.assign(json, { DefaultValue: false });
      break;
    case 'Picklist':
    case 'MultiSelectPicklist':
    case 'State':
    case 'Status':
      Object.assign(json, { DefaultFormValue: c.type === 'Picklist' || c.type === 'MultiSelectPicklist' ? -1 : null });
      break;
    case 'Lookup':
    case 'Owner':
    case 'Customer':
      Object.assign(json, { Targets: c.targets ?? [], Format: null });
      break;
  }
  return json;
}

function entityJson(t: TableDef, ctx: ApiContext): Json {
  return {
    MetadataId: metadataId(`entity:${t.logicalName}`),
    HasChanged: null,
    LogicalName: t.logicalName,
    SchemaName: t.schemaName,
    EntitySetName: t.entitySetName,
    LogicalCollectionName: t.entitySetName,
    CollectionSchemaName: `${t.schemaName}s`,
    ObjectTypeCode: t.objectTypeCode,
    PrimaryIdAttribute: t.primaryId,
    PrimaryNameAttribute: t.primaryName,
    PrimaryImageAttribute: null,
    DisplayName: label(t.displayName, `entity:${t.logicalName}`),
    DisplayCollectionName: label(t.displayCollectionName, `entity:${t.logicalName}:c`),
    Description: label('', `entity:${t.logicalName}:d`),
    ChangeTrackingEnabled: ctx.org.changeTracking.get(t.logicalName) ?? false,
    IsCustomEntity: false,
    IsManaged: true,
    IsActivity: false,
    IsIntersect: false,
    IsValidForAdvancedFind: true,
    OwnershipType: t.byName.has('ownerid') ? 'UserOwned' : 'BusinessOwned',
    IsAuditEnabled: managed(true, 'canmodifyauditsettings'),
    CanChangeTrackingBeEnabled: managed(true, 'canchangetrackingbeenabled'),
    HasNotes: true,
    HasActivities: t.logicalName !== 'systemuser',
    TableType: 'Standard',
    IntroducedVersion: '5.0.0.0',
  };
}

function keyJson(t: TableDef, k: TableDef['alternateKeys'][number]): Json {
  return { MetadataId: metadataId(`key:${t.logicalName}.${k.logicalName}`), HasChanged: null, LogicalName: k.logicalName, SchemaName: k.schemaName, DisplayName: label(k.displayName, `key:${k.logicalName}`), EntityLogicalName: t.logicalName, KeyAttributes: k.columns, EntityKeyIndexStatus: 'Active', IsManaged: false, IsCustomizable: managed(true, 'iscustomizable') };
}

// Query options on metadata -------------------------------------------------------------------------------

interface Options {
  select?: string[];
  filter?: string;
  expand: Map<string, Options>;
}

function parseOptions(get: (name: string) => string | null): Options {
  const select = get('$select');
  const filter = get('$filter');
  const expand = new Map<string, Options>();
  for (const item of splitTop(get('$expand') ?? '', ',')) {
    const open = item.indexOf('(');
    const name = open < 0 ? item : item.slice(0, open).trim();
    const nested = new Map<string, string>();
    if (open >= 0) {
      for (const o of splitTop(item.slice(open + 1, -1), ';')) {
        const eq = o.indexOf('=');
        nested.set(o.slice(0, eq).trim(), o.slice(eq + 1));
      }
    }
    expand.set(name, parseOptions((n) => nested.get(n) ?? null));
  }
  return { ...(select ? { select: splitTop(select, ',') } : {}), ...(filter ? { filter } : {}), expand };
}

function propertyNotFound(name: string, type: string): DataverseError {
  return new DataverseError(400, '0x80060888', `Could not find a property named '${name}' on type 'Microsoft.Dynamics.CRM.${type}'.`);
}

function path(obj: Json, name: string): unknown {
  let cur: unknown = obj;
  for (const part of name.split('/')) cur = cur && typeof cur === 'object' ? (cur as Json)[part] : undefined;
  return cur;
}

function applyFilter(items: Json[], text: string | undefined, type: string): Json[] {
  if (!text) return items;
  const keys = new Set(items.flatMap((i) => Object.keys(i)));
  const expr = parseFilter(text, (name): Edm => {
    if (!keys.has(name.split('/')[0] ?? '')) throw propertyNotFound(name, type);
    const sample = items.map((i) => path(i, name)).find((v) => v !== undefined && v !== null);
    return typeof sample === 'boolean' ? 'Edm.Boolean' : typeof sample === 'number' ? 'Edm.Int32' : typeof sample === 'string' && /^[0-9a-f]{8}-/.test(sample) && name === 'MetadataId' ? 'Edm.Guid' : 'Edm.String';
  });
  return items.filter((i) => evaluate(expr, (name) => path(i, name) as string | number | boolean | null | undefined));
}

function applySelect(obj: Json, select: string[] | undefined, type: string, known: Set<string>, expanded: string[]): Json {
  if (!select) {
    const out = { ...obj };
    for (const k of ['OptionSet', 'GlobalOptionSet', 'Attributes', 'Keys']) if (!expanded.includes(k)) delete out[k];
    return out;
  }
  const out: Json = {};
  if (obj['@odata.type']) out['@odata.type'] = obj['@odata.type'];
  for (const name of select) {
    if (!known.has(name)) throw propertyNotFound(name, type);
    if (name in obj) out[name] = obj[name];
  }
  out['MetadataId'] = obj['MetadataId'];
  for (const k of expanded) if (k in obj) out[k] = obj[k];
  return out;
}

const ENTITY_KEYS = () => new Set([...Object.keys(entityJson(TABLES[0] as TableDef, { org: { changeTracking: new Map() } } as unknown as ApiContext)), 'Attributes', 'Keys']);

function attributesOf(ctx: ApiContext, t: TableDef, cast: string | undefined, opts: Options): Json[] {
  const all = t.columns.map((c, i) => ({ c, json: attributeJson(t, c, i) }));
  const chosen = cast ? all.filter(({ json }) => json['@odata.type'] === `#${cast}`) : all;
  const castName = cast?.replace('Microsoft.Dynamics.CRM.', '') ?? 'AttributeMetadata';
  const expanded: string[] = [];
  for (const [name, nested] of opts.expand) {
    if ((name !== 'OptionSet' && name !== 'GlobalOptionSet') || !cast || !chosen.every(({ c }) => ENUM_TYPES.has(c.type))) throw propertyNotFound(name, castName);
    expanded.push(name);
    for (const item of chosen) {
      const os = optionSetJson(t, item.c);
      item.json[name] = name === 'GlobalOptionSet' ? null : applySelect(os, nested.select, 'OptionSetMetadata', new Set(Object.keys(os)), []);
    }
  }
  const known = new Set(chosen.flatMap(({ json }) => Object.keys(json)));
  for (const k of ['LogicalName', 'SchemaName', 'AttributeType', 'MaxLength', 'Targets', 'OptionSet', 'GlobalOptionSet']) known.add(k);
  const filtered = applyFilter(
    chosen.map(({ json }) => json),
    opts.filter,
    castName,
  );
  void ctx;
  return filtered.map((json) => applySelect(json, opts.select, castName, known, expanded));
}

function contextList(opts: Options): string {
  const parts = [...(opts.select ?? [])];
  for (const [name, nested] of opts.expand) parts.push(`${name}(${(nested.select ?? []).join(',')})`);
  return parts.length ? `(${parts.join(',')})` : '';
}

function findTable(key: KeyPredicate | undefined): TableDef {
  if (!key) throw syntaxError('Bad Request - Error in query syntax.');
  let t: TableDef | undefined;
  if ('id' in key) t = TABLES.find((x) => metadataId(`entity:${x.logicalName}`) === key.id);
  else if ('alternate' in key) {
    const name = key.alternate['LogicalName'];
    t = typeof name === 'string' ? tableByLogicalName(name) : undefined;
    if (!t) throw new DataverseError(404, '0x80040217', `Could not find entity with logical name = '${String(name)}' with namemapping = 'Logical' in the MetadataCache.`);
  }
  if (!t) throw new DataverseError(404, '0x80040217', `Could not find entity with MetadataId = '${'id' in key ? key.id : ''}' in the MetadataCache.`);
  return t;
}

/** `EntityDefinitions…` requests (GET only). */
export function metadataRequest(ctx: ApiContext, segments: Segment[], req: DvRequest): DvResponse {
  const opts = parseOptions((n) => req.query.get(n));
  const base = `${ctx.base()}$metadata#EntityDefinitions`;
  const [entitySeg, sub, third] = [segments[0] as Segment, segments[1], segments[2]];
  if (!entitySeg.key) {
    if (sub) throw segmentNotFound(sub.name);
    const entities = TABLES.map((t) => entityJson(t, ctx));
    const known = ENTITY_KEYS();
    for (const [name] of opts.expand) if (name !== 'Attributes' && name !== 'Keys') throw propertyNotFound(name, 'EntityMetadata');
    const value = applyFilter(entities, opts.filter, 'EntityMetadata').map((e) => {
      const t = tableByLogicalName(String(e['LogicalName'])) as TableDef;
      return withExpansions(ctx, t, e, opts, known);
    });
    return ok({ '@odata.context': `${base}${contextList(opts)}`, value });
  }
  const t = findTable(entitySeg.key);
  const entityRef = `${base}(${metadataId(`entity:${t.logicalName}`)})`;
  if (!sub) {
    for (const [name] of opts.expand) if (name !== 'Attributes' && name !== 'Keys') throw propertyNotFound(name, 'EntityMetadata');
    return ok({ '@odata.context': `${base}${contextList(opts)}/$entity`, ...withExpansions(ctx, t, entityJson(t, ctx), opts, ENTITY_KEYS()) });
  }
  if (sub.name === 'Keys') {
    const keys = t.alternateKeys.map((k) => keyJson(t, k));
    return ok({ '@odata.context': `${entityRef}/Keys${contextList(opts)}`, value: keys.map((k) => applySelect(k, opts.select, 'EntityKeyMetadata', new Set(Object.keys(k)), [])) });
  }
  if (sub.name !== 'Attributes') throw segmentNotFound(sub.name);
  if (sub.key) {
    const name = 'alternate' in sub.key ? sub.key.alternate['LogicalName'] : undefined;
    const byId = 'id' in sub.key ? t.columns.find((c) => metadataId(`attribute:${t.logicalName}.${c.name}`) === (sub.key as { id: string }).id) : undefined;
    const column = byId ?? t.columns.find((c) => c.name === name);
    if (!column) throw new DataverseError(404, '0x80040217', `Could not find attribute with logical name = '${String(name)}' for entity '${t.logicalName}'.`);
    const cast = third?.name;
    if (cast && !CASTS.has(cast)) throw segmentNotFound(cast);
    const one = attributesOf(ctx, { ...t, columns: [column] }, cast, opts)[0];
    if (!one) throw segmentNotFound(cast ?? sub.name);
    return ok({ '@odata.context': `${entityRef}/Attributes${cast ? `/${cast}` : ''}${contextList(opts)}/$entity`, ...one });
  }
  const cast = third?.name;
  if (cast && !CASTS.has(cast)) throw segmentNotFound(cast);
  return ok({ '@odata.context': `${entityRef}/Attributes${cast ? `/${cast}` : ''}${contextList(opts)}`, value: attributesOf(ctx, t, cast, opts) });
}

function withExpansions(ctx: ApiContext, t: TableDef, e: Json, opts: Options, known: Set<string>): Json {
  const json = { ...e };
  const expanded: string[] = [];
  const attributes = opts.expand.get('Attributes');
  if (attributes) {
    json['Attributes'] = attributesOf(ctx, t, undefined, attributes);
    expanded.push('Attributes');
  }
  const keys = opts.expand.get('Keys');
  if (keys) {
    json['Keys'] = t.alternateKeys.map((k) => applySelect(keyJson(t, k), keys.select, 'EntityKeyMetadata', new Set(Object.keys(keyJson(t, k))), []));
    expanded.push('Keys');
  }
  return applySelect(json, opts.select, 'EntityMetadata', known, expanded);
}
