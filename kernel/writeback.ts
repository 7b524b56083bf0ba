/**
 * Write-back's shapes (W1-W14, P4): the request service code sends, the outcome it gets back, and the plan the
 * client hands the account's workflow once the request has passed every check. Free of Node built-ins:
 * workflow code imports it.
 */

/** Where in the hub a change was made (W4). Bulk origins (segment bulk update, forms, forecast) have none: W9. */
export const WRITE_BACK_ORIGINS = ['account-profile', 'segment-inline', 'user-profile', 'task-completion', 'rapid-insights-form'] as const;
export type WriteBackOrigin = (typeof WRITE_BACK_ORIGINS)[number];

/** Origins that change many accounts at once; write-back refuses them (W9). */
export const BULK_ORIGINS = ['segment-bulk-update', 'form', 'forms', 'forecast-dialog', 'forecast'] as const;

/** A single value, or a list for a multi-value attribute (W3); null clears the field. */
export type WriteBackValue = string | number | boolean | null | string[];

export interface WriteBackRequest {
  /** One hub account: its hub ID, or `connection:crmId` (the account's record ID in one of its CRMs). */
  account: string | number;
  /** Attribute key → new value. Account assignments take the hub user's email. */
  changes: Record<string, WriteBackValue>;
  origin: WriteBackOrigin;
  /** Who made the change (an email or a service name); kept in the log. */
  actor: string;
  /** Makes retries idempotent (W14): the same ID never writes twice and returns the first outcome. Default: a new UUID. */
  requestId?: string;
  /** Write even where the CRM's value changed since the hub last saw it (W13). */
  force?: boolean;
}

/**
 * - written: the CRM now holds the value;
 * - unchanged: the CRM held it already, nothing was sent;
 * - stale: the CRM's value changed since the hub last saw it; nothing was written (W13);
 * - rejected: the CRM (or the lookup of a referenced record) refused this value; retrying will not help;
 * - failed: the CRM could not be reached or kept failing within the call's time budget.
 */
export type WriteBackStatus = 'written' | 'unchanged' | 'stale' | 'rejected' | 'failed';

/** Another hub attribute read through the same relationship, refreshed after a re-point (micro-sync, W11). */
export interface MicroSyncRefresh {
  attribute: string;
  crmField: string;
  before: unknown;
  after: unknown;
}

/** The outcome for one attribute on one data source (W5, W6). */
export interface WriteBackSourceOutcome {
  attribute: string;
  connectionId: string;
  crmObject: string;
  crmId: string;
  /** The source's field path, e.g. `Tier__c` or `Owner.Email`. */
  crmField: string;
  /** What was written (`OwnerId` for a re-point, `User.Phone` for an edited referenced record). */
  writtenField: string | null;
  referenceMode: ReferenceMode | null;
  status: WriteBackStatus;
  /** The CRM's value when the write-back read it. */
  valueBefore: unknown;
  /** The CRM's value afterwards (the requested one when written). */
  valueAfter: unknown;
  /** The CRM value the hub last saw (what compare-and-set compared with, W13). */
  hubLastSeen: unknown;
  /** hubsync's explanation, and the fix where there is one. */
  message: string | null;
  /** The CRM's own error code and message, when it refused or failed. */
  crmMessage: string | null;
  refreshed: MicroSyncRefresh[];
  crmCalls: number;
  durationMs: number;
}

export interface WriteBackOutcome {
  requestId: string;
  accountId: number;
  origin: WriteBackOrigin;
  actor: string;
  /** True when this is the stored outcome of an earlier call with the same request ID. */
  replayed: boolean;
  /** Every source written or unchanged. */
  ok: boolean;
  sources: WriteBackSourceOutcome[];
  durationMs: number;
}

/** W7: re-point the lookup to the record whose field matches, or edit the field on the referenced record. */
export type ReferenceMode = 'repoint' | 'edit-referenced';

/** The parts of a field's describe a write-back value is checked against. */
export interface WritableField {
  name: string;
  label: string;
  type: string;
  nillable: boolean;
  restrictedPicklist: boolean;
  picklistValues: string[];
  length: number;
}

/** A source's field path resolved against describe: `Tier__c` on Account, or `Owner.Email` through OwnerId to User. */
export interface SourceField {
  object: string;
  path: string;
  /** For `Owner.Email`: the relationship (`Owner`), its lookup field (`OwnerId`) and the referenced object (`User`). */
  reference: { relationship: string; lookupField: string; targetObject: string } | null;
  /** The field the path ends at (Account.Tier__c, User.Email). */
  field: WritableField;
}

/** One attribute change on one data source, resolved and checked by the client before anything is sent. */
export interface PlannedSourceWrite {
  attributeId: number;
  attribute: string;
  kind: 'attribute' | 'account_assignment';
  connectionId: string;
  crmObject: string;
  crmId: string;
  crmField: string;
  referenceMode: ReferenceMode;
  /** The source's field as describe reported it when write-back was switched on. */
  field: SourceField;
  /** The value in the hub's form (a list for multi-select, the user's email for an assignment). */
  value: WriteBackValue;
  /** The value in the CRM's form (multi-select joined with `;`, numbers as numbers). */
  crmValue: string | number | boolean | null;
  /** The hub user an account assignment points to. */
  hubUserId: number | null;
}

/** What the account's workflow receives as the Workflow Update argument. */
export interface WriteBackPlan {
  requestId: string;
  accountId: number;
  origin: WriteBackOrigin;
  actor: string;
  force: boolean;
  changes: Record<string, WriteBackValue>;
  writes: PlannedSourceWrite[];
  /** When the client accepted the request (epoch ms): the call's time budget counts from here. */
  acceptedAtMs: number;
  /** Set by the account's workflow: the update's place in the order it received them (1 = first of the execution). */
  receivedPosition?: number;
}

/** How long one write-back may take, whatever the CRM does: sources still failing then are `failed`. */
export const WRITE_BACK_BUDGET_MS = 20_000;

/** How an account's workflow turns away an update while it continues as new or ends; the client sends it again. */
export const WORKFLOW_CLOSING = 'the account write-back workflow is closing';

/** The Workflow Update's name, shared by the workflow and the client. */
export const WRITE_BACK_UPDATE = 'writeBack';

export function makeAccountWriteBackWorkflowId(accountId: number): string {
  return `hubsync-writeback-account-${accountId}`;
}
