/**
 * What every sandbox org has, even with `seed: 'none'`: the Organization record, the admin user the
 * credentials log in as (the running user of every API call made with them), a queue, and the TaskStatus /
 * TaskPriority values. Created directly (these objects are not createable through the API).
 */
import { type SandboxCredentials } from './auth';
import { wholeSecondIso } from './clock';
import { type FieldValue } from './model';
import { TASK_PRIORITIES, TASK_STATUSES } from './schema';
import { blankFields, makeRecord, type Store } from './store';

const DAY_MS = 24 * 3600 * 1000;
/** The org "was created" this long before the sandbox was seeded, so seeded data has a plausible history. */
const ORG_AGE_MS = 60 * DAY_MS;

export interface OrgInfo {
  orgId: string;
  adminUserId: string;
}

/** Inserts a record with every field in schema order, defaults and audit fields; used for platform records. */
export function insertSystemRecord(store: Store, objectName: string, values: Record<string, FieldValue>, userId: string | undefined, stampMs: number): string {
  const object = store.schema.require(objectName);
  const id = store.ids.newId(object.keyPrefix);
  const stamp = wholeSecondIso(stampMs);
  const creator = userId ?? id;
  const audit: Record<string, FieldValue> = { Id: id, IsDeleted: false, CreatedDate: stamp, CreatedById: creator, LastModifiedDate: stamp, LastModifiedById: creator, SystemModstamp: stamp };
  const fields = blankFields(object);
  for (const f of object.fields) fields[f.name] = audit[f.name] ?? values[f.name] ?? f.defaultValue ?? (f.type === 'boolean' ? false : null);
  store.put(makeRecord(object.name, fields));
  return id;
}

export function seedOrg(store: Store, credentials: SandboxCredentials): OrgInfo {
  const created = store.clock.nowMs() - ORG_AGE_MS;
  const orgId = insertSystemRecord(store, 'Organization', {}, undefined, created);
  const adminUserId = insertSystemRecord(
    store,
    'User',
    {
      Username: credentials.username,
      FirstName: 'Hubsync',
      LastName: 'Admin',
      Name: 'Hubsync Admin',
      Email: credentials.username,
      Alias: 'hadmin',
      CommunityNickname: 'hubsync.admin',
      Title: 'System Administrator',
      CompanyName: 'Hubsync Sandbox',
      IsActive: true,
      UserType: 'Standard',
    },
    undefined,
    created,
  );
  // The organization record names its creator: re-stamp it now that the admin exists.
  const org = store.getRecord(orgId);
  if (org) {
    store.put(
      makeRecord('Organization', {
        ...org.fields,
        Name: 'Hubsync Sandbox',
        OrganizationType: 'Enterprise Edition',
        InstanceName: 'HUB1',
        IsSandbox: false,
        TimeZoneSidKey: 'America/Los_Angeles',
        LanguageLocaleKey: 'en_US',
        DefaultLocaleSidKey: 'en_US',
        Country: 'United States',
        CreatedById: adminUserId,
        LastModifiedById: adminUserId,
      }),
    );
  }
  insertSystemRecord(store, 'Group', { Name: 'Customer Success Queue', DeveloperName: 'Customer_Success_Queue', Type: 'Queue', Email: 'cs-queue@hubsync.sandbox' }, adminUserId, created);
  TASK_STATUSES.forEach((s, i) =>
    insertSystemRecord(store, 'TaskStatus', { MasterLabel: s.label, ApiName: s.value, SortOrder: i + 1, IsDefault: s.defaultValue, IsClosed: s.closed === true }, adminUserId, created),
  );
  TASK_PRIORITIES.forEach((p, i) =>
    insertSystemRecord(store, 'TaskPriority', { MasterLabel: p.label, ApiName: p.value, SortOrder: i + 1, IsDefault: p.defaultValue, IsHighPriority: p.value === 'High' }, adminUserId, created),
  );
  return { orgId, adminUserId };
}
