/**
 * Metadata endpoints: describeGlobal (`/sobjects`), the sObject basic info (`/sobjects/{type}`), describe
 * (`/sobjects/{type}/describe`), API versions (`/services/data`) and the version's resources. Shapes follow
 * DescribeGlobalResult / DescribeSObjectResult / DescribeFieldResult as the REST API returns them.
 */
import { json, type Router } from './http';
import { type FieldType } from './model';
import { isStringType, type FieldDef, type ObjectDef } from './schema';
import { requireObject } from './sobjects';
import { type Store } from './store';

/** The newest API version the sandbox advertises (Summer '25); any vNN.N is accepted in paths. */
export const LATEST_API_VERSION = '64.0';
const OLDEST_API_VERSION = 20;

/** Version → release: v20.0 was Winter '11, and each version since is the next of three releases a year. */
export function apiVersions(): Array<{ label: string; url: string; version: string }> {
  const out = [];
  for (let v = OLDEST_API_VERSION; v <= Number.parseFloat(LATEST_API_VERSION); v++) {
    const index = v - OLDEST_API_VERSION;
    const season = ['Winter', 'Spring', 'Summer'][index % 3] ?? 'Winter';
    const year = String(11 + Math.floor(index / 3)).padStart(2, '0');
    out.push({ label: `${season} '${year}`, url: `/services/data/v${v}.0`, version: `${v}.0` });
  }
  return out;
}

const SOAP_TYPES: Record<FieldType, string> = {
  id: 'tns:ID',
  reference: 'tns:ID',
  string: 'xsd:string',
  textarea: 'xsd:string',
  email: 'xsd:string',
  phone: 'xsd:string',
  url: 'xsd:string',
  picklist: 'xsd:string',
  multipicklist: 'xsd:string',
  combobox: 'xsd:string',
  boolean: 'xsd:boolean',
  int: 'xsd:int',
  double: 'xsd:double',
  currency: 'xsd:double',
  percent: 'xsd:double',
  date: 'xsd:date',
  datetime: 'xsd:dateTime',
};

function describeField(f: FieldDef): Record<string, unknown> {
  const textual = isStringType(f.type) || f.type === 'id' || f.type === 'reference';
  // SOQL's "Considerations for GROUP BY": a formula field cannot be grouped on.
  const groupable = f.formula === null && f.type !== 'textarea' && f.type !== 'multipicklist' && f.type !== 'double' && f.type !== 'currency' && f.type !== 'percent' && f.type !== 'datetime';
  return {
    aggregatable: f.type !== 'textarea' && f.type !== 'multipicklist',
    aiPredictionField: false,
    autoNumber: f.autoNumber,
    byteLength: textual ? f.length * 3 : 0,
    calculated: f.calculated,
    calculatedFormula: f.formula?.source ?? null,
    cascadeDelete: f.cascadeDelete,
    caseSensitive: f.caseSensitive,
    compoundFieldName: null,
    controllerName: null,
    createable: f.createable,
    custom: f.custom,
    defaultValue: f.type === 'boolean' ? f.defaultValue : null,
    defaultValueFormula: f.type !== 'boolean' && f.defaultValue !== null ? JSON.stringify(f.defaultValue) : null,
    defaultedOnCreate: f.defaultedOnCreate,
    dependentPicklist: false,
    deprecatedAndHidden: false,
    digits: f.digits,
    displayLocationInDecimal: false,
    encrypted: false,
    externalId: f.externalId,
    extraTypeInfo: f.type === 'textarea' ? 'plaintextarea' : null,
    filterable: f.filterable,
    filteredLookupInfo: null,
    // Blank Field Handling of a formula: "treat blank fields as zeroes" (Help, article 000381641).
    formulaTreatNullNumberAsZero: f.formula?.blankAsZero ?? false,
    groupable,
    highScaleNumber: false,
    htmlFormatted: false,
    idLookup: f.idLookup,
    inlineHelpText: null,
    label: f.label,
    length: isStringType(f.type) ? f.length : f.type === 'id' || f.type === 'reference' ? 18 : 0,
    mask: null,
    maskType: null,
    name: f.name,
    nameField: f.nameField,
    namePointing: f.referenceTo.length > 1,
    nillable: f.nillable,
    permissionable: f.nillable && !f.calculated && f.createable,
    picklistValues: f.picklistValues.map((p) => ({ active: p.active, defaultValue: p.defaultValue, label: p.label, validFor: null, value: p.value })),
    polymorphicForeignKey: f.referenceTo.length > 1,
    precision: f.precision,
    queryByDistance: false,
    referenceTargetField: null,
    referenceTo: [...f.referenceTo],
    relationshipName: f.relationshipName,
    relationshipOrder: null,
    restrictedDelete: false,
    restrictedPicklist: f.restrictedPicklist,
    scale: f.scale,
    searchPrefilterable: f.type === 'reference',
    soapType: SOAP_TYPES[f.type],
    sortable: f.sortable,
    type: f.type,
    unique: f.unique,
    updateable: f.updateable,
    writeRequiresMasterRead: false,
  };
}

function objectUrls(object: ObjectDef, version: string): Record<string, string> {
  const base = `/services/data/v${version}/sobjects/${object.name}`;
  return {
    compactLayouts: `${base}/describe/compactLayouts`,
    rowTemplate: `${base}/{ID}`,
    defaultValues: `${base}/defaultValues?recordTypeId&fields`,
    describe: `${base}/describe`,
    sobject: base,
  };
}

/** The DescribeGlobalSObjectResult part shared by describeGlobal, basic info and describe. */
function objectSummary(object: ObjectDef, version: string): Record<string, unknown> {
  return {
    activateable: false,
    associateEntityType: null,
    associateParentEntity: null,
    createable: object.createable,
    custom: object.custom,
    customSetting: false,
    deepCloneable: false,
    deletable: object.deletable,
    deprecatedAndHidden: false,
    feedEnabled: object.name === 'Account' || object.name === 'Contact' || object.name === 'User',
    hasSubtypes: false,
    isInterface: false,
    isSubtype: false,
    keyPrefix: object.keyPrefix,
    label: object.label,
    labelPlural: object.labelPlural,
    layoutable: object.createable,
    mergeable: object.name === 'Account' || object.name === 'Contact',
    mruEnabled: object.createable,
    name: object.name,
    queryable: object.queryable,
    replicateable: true,
    retrieveable: true,
    searchable: object.createable,
    triggerable: object.createable,
    undeletable: object.deletable,
    updateable: object.updateable,
    urls: objectUrls(object, version),
  };
}

function childRelationships(store: Store, object: ObjectDef): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const child of store.schema.all()) {
    for (const f of child.fields) {
      if (f.type !== 'reference' || !f.referenceTo.includes(object.name)) continue;
      out.push({
        cascadeDelete: f.cascadeDelete,
        childSObject: child.name,
        deprecatedAndHidden: false,
        field: f.name,
        junctionIdListNames: [],
        junctionReferenceTo: [],
        relationshipName: f.childRelationshipName ?? (f.custom ? `${child.labelPlural.replace(/\W/g, '_')}__r` : null),
        restrictedDelete: false,
      });
    }
  }
  return out;
}

export function describeObject(store: Store, object: ObjectDef, version: string): Record<string, unknown> {
  return {
    actionOverrides: [],
    ...objectSummary(object, version),
    childRelationships: childRelationships(store, object),
    compactLayoutable: object.createable,
    defaultImplementation: null,
    extendedBy: null,
    extendsInterfaces: null,
    fields: object.fields.map(describeField),
    implementedBy: null,
    implementsInterfaces: null,
    listviewable: null,
    lookupLayoutable: null,
    namedLayoutInfos: [],
    networkScopeFieldName: null,
    recordTypeInfos: [
      {
        active: true,
        available: true,
        defaultRecordTypeMapping: true,
        developerName: 'Master',
        master: true,
        name: 'Master',
        recordTypeId: '012000000000000AAA',
        urls: { layout: `/services/data/v${version}/sobjects/${object.name}/describe/layouts/012000000000000AAA` },
      },
    ],
    searchLayoutable: object.createable,
    sobjectDescribeOption: 'FULL',
    supportedScopes: [
      { label: 'All records', name: 'everything' },
      { label: 'My records', name: 'mine' },
    ],
  };
}

export function registerDescribeRoutes(router: Router, store: Store, identityUrl: (userId: string) => string): void {
  router.add('GET', '/services/data', () => json(200, apiVersions()));
  router.add('GET', '/services/data/:version', (req) => {
    const base = `/services/data/v${req.apiVersion}`;
    const resources = ['sobjects', 'query', 'queryAll', 'composite', 'limits'];
    return json(200, { ...Object.fromEntries(resources.map((r) => [r, `${base}/${r}`])), identity: identityUrl(req.userId) });
  });
  router.add('GET', '/services/data/:version/sobjects', (req) =>
    json(200, { encoding: 'UTF-8', maxBatchSize: 200, sobjects: store.schema.all().map((o) => objectSummary(o, req.apiVersion)) }),
  );
  router.add('GET', '/services/data/:version/sobjects/:type/describe', (req) => json(200, describeObject(store, requireObject(store, req.params.type), req.apiVersion)));
  router.add('GET', '/services/data/:version/sobjects/:type', (req) =>
    json(200, { objectDescribe: objectSummary(requireObject(store, req.params.type), req.apiVersion), recentItems: [] }),
  );
}
