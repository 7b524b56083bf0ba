/**
 * Default mapping templates (T7 in docs/features.md). The five task/touchpoint/campaign-touch tables are the ones
 * the customer-success platform publishes ("Task, Touchpoint and campaign touch default field mapping"), reproduced row for
 * row with the seed's own wording of types; test/unit/mapping-templates.test.ts checks them against the
 * seed's tables. The accounts-inbound template is hubsync's own (T1): the account key and name, the
 * Success Manager account assignment through the owner's first-level reference (Owner.Email, with Owner.Name
 * and Owner.Phone as attributes read through the same relationship: micro-sync, W11), and the fields the
 * demo's write-back attributes use.
 */
import { ConfigurationError } from '../../kernel/errors';
import { JOB_KIND_INFO, type ConnectionKind, type JobKind } from '../../kernel/job-kinds';

/** One row of a mapping table, in the columns of the published default tables. */
export interface MappingRow {
  /** "Source Field": the CRM field (or first-level path such as Owner.Email). */
  crmField: string;
  /** "Source Field Type", as the template states it (informational; validation uses describe). */
  crmFieldType: string;
  /** "Totango Attribute": the hub field, by its display name (see hub-fields.ts). */
  hubField: string;
  /** "Attribute Type" without the Key marker: text, Date… */
  hubFieldType: string;
  /** The row is a key: the parent account ID or the record's external ID. */
  key: boolean;
}

export interface MappingTemplate {
  kind: JobKind;
  crmObject: string;
  parentObject: string | null;
  rows: MappingRow[];
}

const row = (crmField: string, crmFieldType: string, hubField: string, hubFieldType: string, key = false): MappingRow => ({
  crmField,
  crmFieldType,
  hubField,
  hubFieldType,
  key,
});

const TEMPLATE_ROWS: Record<JobKind, MappingRow[]> = {
  'touchpoints-inbound': [
    row('AccountId', 'text', 'Account Id', 'text', true),
    row('Id', 'text', 'Touchpoint External Id', 'text', true),
    row('Subject', 'text', 'Subject', 'text'),
    row('Description', 'text', 'Content', 'text'),
    row('ActivityDate', 'datetime', 'Touchpoint Date', 'Date'),
    row('CreatedBy.Email', 'reference field', 'Touchpoint Creator', 'text'),
    row('LastModifiedDate', 'datetime', 'Last Update Date', 'Date'),
    row('LastModifiedBy.Email', 'reference field', 'Last Updater', 'Text'),
  ],
  'touchpoints-outbound': [
    row('AccountId', 'text', 'Account Id', 'text', true),
    row('Id', 'text', 'Touchpoint External Id', 'text', true),
    row('Subject', 'text', 'Subject', 'text'),
    row('Description', 'text', 'Content', 'text'),
    row('ActivityDate', 'datetime', 'Touchpoint Date', 'Date'),
    row('OwnerId', 'reference field', 'Touchpoint Creator', 'text'),
  ],
  'tasks-inbound': [
    row('AccountId', 'text', 'Account Id', 'text', true),
    row('Id', 'text', 'Task External Id', 'text', true),
    row('Subject', 'text', 'Title', 'text'),
    row('Description', 'text', 'Description', 'text'),
    row('Priority', 'text', 'Priority', 'text'),
    row('Status', 'text', 'Status', 'text'),
    row('ActivityDate', 'Date', 'Due Date', 'Date'),
    row('Owner.Email', 'reference field', 'Assigned To', 'text'),
    row('CreatedBy.Email', 'reference field', 'Assigner', 'text'),
    row('CreatedDate', 'Date', 'Create Date', 'date'),
    row('LastModifiedDate', 'Date', 'Last Update Date', 'date'),
  ],
  'tasks-outbound': [
    row('AccountId', 'text', 'Account Id', 'text', true),
    row('Id', 'text', 'Task External Id', 'text', true),
    row('Subject', 'text', 'Title', 'text'),
    row('Description', 'text', 'Description', 'text'),
    row('Priority', 'text', 'Priority', 'text'),
    row('Status', 'text', 'Status', 'text'),
    row('ActivityDate', 'Date', 'Due Date', 'Date'),
    row('OwnerId', 'reference field', 'Assigned To', 'text'),
  ],
  'campaign-touch-outbound': [
    row('AccountId', 'text', 'Account Id', 'text', true),
    row('Campaign Touch ID', 'text', 'Touchpoint External Id', 'text', true),
    row('Subject', 'text', 'Subject', 'text'),
    row('Description', 'text', 'Description', 'text'),
    row('ActivityDate', 'datetime', 'Start Date', 'Date'),
    row('OwnerId', 'reference field', 'Created By', 'text'),
  ],
  'accounts-inbound': [
    row('Id', 'id', 'Account Id', 'text', true),
    row('Name', 'text', 'Account Name', 'text'),
    row('Owner.Email', 'reference field', 'Success Manager', 'user'),
    row('Owner.Name', 'reference field', 'Success Manager Name', 'text'),
    row('Owner.Phone', 'reference field', 'Success Manager Phone', 'text'),
    row('Tier__c', 'picklist', 'Tier', 'single_select'),
    row('Health_Score__c', 'double', 'Health Score', 'number'),
    row('Products__c', 'multipicklist', 'Products', 'multi_select'),
    row('CSM_Email__c', 'email', 'CSM Email', 'text'),
    row('Description', 'textarea', 'Account Notes', 'text'),
  ],
};

/**
 * HubSpot's templates: companies become hub accounts (T1) by their record ID, with the name, the domain and
 * the company owner's email read through the Owners API (`Owner.email`, the Success Manager assignment, W12);
 * further properties are added by the user (`hubsync job edit`).
 */
const HUBSPOT_TEMPLATES: Partial<Record<JobKind, Omit<MappingTemplate, 'kind'>>> = {
  'accounts-inbound': {
    crmObject: 'companies',
    parentObject: null,
    rows: [
      row('hs_object_id', 'number', 'Account Id', 'text', true),
      row('name', 'string', 'Account Name', 'text'),
      row('domain', 'string', 'Domain', 'text'),
      row('Owner.email', 'owner (Owners API)', 'Success Manager', 'user'),
    ],
  },
};

/**
 * Dataverse's templates: accounts become hub accounts (T1) by their row ID, with the name, the account number,
 * the website and the owner's email read through the owner lookup (`ownerid.internalemailaddress`, the
 * Success Manager assignment, W12); further columns are added by the user (`hubsync job edit`).
 */
const DATAVERSE_TEMPLATES: Partial<Record<JobKind, Omit<MappingTemplate, 'kind'>>> = {
  'accounts-inbound': {
    crmObject: 'accounts',
    parentObject: null,
    rows: [
      row('accountid', 'uniqueidentifier', 'Account Id', 'text', true),
      row('name', 'string', 'Account Name', 'text'),
      row('accountnumber', 'string', 'Account Number', 'text'),
      row('websiteurl', 'string', 'Website', 'text'),
      row('ownerid.internalemailaddress', 'owner (system user)', 'Success Manager', 'user'),
    ],
  },
};

/** The templates of the CRMs whose connections run only some job kinds. */
const CRM_TEMPLATES: Partial<Record<ConnectionKind, { name: string; templates: Partial<Record<JobKind, Omit<MappingTemplate, 'kind'>>> }>> = {
  hubspot: { name: 'HubSpot', templates: HUBSPOT_TEMPLATES },
  dynamics: { name: 'Dataverse', templates: DATAVERSE_TEMPLATES },
};

/** The job kinds with a template for connections of `crm`. */
export function templateKinds(crm: ConnectionKind): JobKind[] {
  const own = CRM_TEMPLATES[crm];
  return own ? (Object.keys(own.templates) as JobKind[]) : (Object.keys(TEMPLATE_ROWS) as JobKind[]);
}

/** The default template of a job kind for a CRM: a fresh copy, so callers may edit it. */
export function defaultTemplate(kind: JobKind, crm: ConnectionKind = 'salesforce'): MappingTemplate {
  const own = CRM_TEMPLATES[crm];
  if (own) {
    const t = own.templates[kind];
    if (!t) throw new ConfigurationError(`${own.name} connections have no ${kind} jobs; they run ${templateKinds(crm).join(', ')}.`, { fix: 'create the job on a Salesforce connection, or pick one of those kinds' });
    return { kind, crmObject: t.crmObject, parentObject: t.parentObject, rows: t.rows.map((r) => ({ ...r })) };
  }
  const info = JOB_KIND_INFO[kind];
  return { kind, crmObject: info.crmObject, parentObject: info.parentObject, rows: TEMPLATE_ROWS[kind].map((r) => ({ ...r })) };
}
