// The mapping engine and the per-record decisions shared by preview and runs (T9, T11, T12, T13, T14, T15,
// T16, T17, T18, T20, T22, T29).
import { decideInbound, decideOutbound } from '../../activities/mapping/decide';
import { selectFields } from '../../activities/crm/salesforce/soql';
import { toCrmRecord } from '../../activities/crm/salesforce/session';
import { campaignTouchSubject, inboundReadSpec, mapInbound, mapOutbound, type HubRecordForOutbound } from '../../activities/mapping/engine';
import { configFromTemplate } from '../../activities/mapping/job-config';

// A Task as Salesforce's query API returns it, handed over by the connector.
const sfTask = (overrides: Record<string, unknown> = {}) => toCrmRecord({
  attributes: { type: 'Task', url: '/services/data/v62.0/sobjects/Task/00T000000000001AAA' },
  Id: '00T000000000001AAA',
  SystemModstamp: '2026-11-20T10:00:00.000+0000',
  LastModifiedDate: '2026-11-20T10:00:00.000+0000',
  AccountId: '001000000000001AAA',
  Subject: 'Call back',
  Description: null,
  Priority: 'High',
  Status: 'Not Started',
  ActivityDate: '2026-11-30',
  Owner: { attributes: { type: 'User', url: '/x' }, Email: 'Ann@Acme.com' },
  CreatedBy: null,
  CreatedDate: '2026-11-01T08:00:00.000+0000',
  ...overrides,
});

describe('inbound mapping', () => {
  const config = configFromTemplate('tasks-inbound');

  it('reads every mapped path plus the cursor fields once', () => {
    expect(selectFields(inboundReadSpec(config).paths)).toEqual(['Id', 'SystemModstamp', 'LastModifiedDate', 'AccountId', 'Subject', 'Description', 'Priority', 'Status', 'ActivityDate', 'Owner.Email', 'CreatedBy.Email', 'CreatedDate']);
  });

  it('maps a Salesforce record to hub columns, lowercasing the external ID and emails (T13)', () => {
    const { mapped, problems } = mapInbound(config, sfTask());
    expect(problems).toEqual([]);
    expect(mapped).toMatchObject({
      crmId: '00T000000000001AAA',
      externalId: '00t000000000001aaa',
      parentCrmId: '001000000000001AAA',
      crmModifiedAt: '2026-11-20T10:00:00.000Z',
      columns: { title: 'Call back', description: null, priority: 'High', status: 'Not Started', due_date: '2026-11-30', assignee_email: 'ann@acme.com', assigner_email: null, source_created_at: '2026-11-01T08:00:00.000Z', source_updated_at: '2026-11-20T10:00:00.000Z' },
    });
  });

  it('hashes what it maps: equal content, equal hash; a content change, another hash', () => {
    const a = mapInbound(config, sfTask()).mapped.hash;
    expect(mapInbound(config, sfTask()).mapped.hash).toBe(a);
    // A modification stamp alone is not content (the template maps LastModifiedDate, not SystemModstamp).
    expect(mapInbound(config, sfTask({ SystemModstamp: '2026-11-21T00:00:00.000+0000' })).mapped.hash).toBe(a);
    expect(mapInbound(config, sfTask({ Subject: 'Other' })).mapped.hash).not.toBe(a);
  });

  it('reports a value of the wrong type as a problem instead of writing it', () => {
    const { problems } = mapInbound(config, sfTask({ ActivityDate: 'soon' }));
    expect(problems).toEqual([{ row: 7, message: 'ActivityDate = "soon" is not a valid date for \'Due Date\'' }]);
  });

  it('maps Event WhoId to participants with the contact name and email (T23)', () => {
    const tp = configFromTemplate('touchpoints-inbound');
    const withWho = { ...tp, mapping: [...tp.mapping, { crmField: 'WhoId', crmFieldType: 'reference', hubField: 'Participants', hubFieldType: 'participants', key: false }] };
    expect(selectFields(inboundReadSpec(withWho).paths)).toEqual(expect.arrayContaining(['WhoId', 'Who.Name', 'Who.Email']));
    const { mapped } = mapInbound(withWho, toCrmRecord({ Id: '00U1', Subject: 's', WhoId: '003A', Who: { Name: 'Bo Li', Email: 'BO@x.io' } }));
    expect(mapped.participants).toEqual([{ crmContactId: '003A', name: 'Bo Li', email: 'bo@x.io' }]);
  });
});

describe('inbound decisions', () => {
  const config = configFromTemplate('tasks-inbound');
  const { mapped } = mapInbound(config, sfTask());
  const link = { lastInboundHash: 'old', hubModifiedAt: '2026-11-19T00:00:00.000Z', crmModifiedAt: '2026-11-19T00:00:00.000Z' };

  it('rejects a task without a title (T20)', () => {
    const untitled = mapInbound(config, sfTask({ Subject: '  ' }));
    expect(decideInbound(config, untitled.mapped, [], { parentAccountId: 1, existing: undefined })).toMatchObject({ action: 'reject', code: 'MISSING_TITLE' });
  });

  it('skips records whose parent is missing or not matched yet (T11, T26)', () => {
    expect(decideInbound(config, { ...mapped, parentCrmId: null }, [], { parentAccountId: undefined, existing: undefined })).toMatchObject({ action: 'skip', code: 'NO_PARENT' });
    expect(decideInbound(config, mapped, [], { parentAccountId: undefined, existing: undefined })).toMatchObject({ action: 'skip', code: 'PARENT_NOT_MATCHED' });
  });

  it('creates, updates, or leaves unchanged', () => {
    expect(decideInbound(config, mapped, [], { parentAccountId: 1, existing: undefined })).toEqual({ action: 'create' });
    expect(decideInbound(config, mapped, [], { parentAccountId: 1, existing: { hubId: 9, accountId: 1, updatedAt: '2026-11-18T00:00:00.000Z', link } })).toEqual({ action: 'update', hubId: 9 });
    expect(decideInbound(config, mapped, [], { parentAccountId: 1, existing: { hubId: 9, accountId: 1, updatedAt: '2026-11-18T00:00:00.000Z', link: { ...link, lastInboundHash: mapped.hash } } })).toEqual({ action: 'unchanged' });
  });

  it('refuses to move a record to another parent account (T12)', () => {
    expect(decideInbound(config, mapped, [], { parentAccountId: 2, existing: { hubId: 9, accountId: 1, updatedAt: '2026-11-18T00:00:00.000Z', link } })).toMatchObject({ action: 'reject', code: 'PARENT_CHANGED' });
  });

  it('lets the later side win when both changed (T18) and ignores stamps already seen (T29)', () => {
    const hubLater = { hubId: 9, accountId: 1, updatedAt: '2026-11-20T12:00:00.000Z', link };
    expect(decideInbound(config, mapped, [], { parentAccountId: 1, existing: hubLater })).toMatchObject({ action: 'skip', code: 'HUB_NEWER' });
    const crmLater = { ...hubLater, updatedAt: '2026-11-20T09:00:00.000Z' };
    expect(decideInbound(config, mapped, [], { parentAccountId: 1, existing: crmLater })).toEqual({ action: 'update', hubId: 9 });
    const seen = { ...crmLater, link: { ...link, crmModifiedAt: '2026-11-20T10:00:00.000Z' } };
    expect(decideInbound(config, mapped, [], { parentAccountId: 1, existing: seen })).toEqual({ action: 'unchanged' });
  });
});

describe('outbound mapping and decisions', () => {
  const config = configFromTemplate('tasks-outbound');
  const now = new Date('2026-11-21T00:00:00Z');
  const taskTypes = new Map([['subject', 'string'], ['description', 'textarea'], ['priority', 'picklist'], ['status', 'picklist'], ['activitydate', 'date'], ['ownerid', 'reference']]);
  const eventTypes = new Map([['subject', 'string'], ['description', 'textarea'], ['activitydate', 'date'], ['startdatetime', 'datetime'], ['tags__c', 'multipicklist']]);
  const record: HubRecordForOutbound = {
    id: 5,
    externalId: null,
    accountId: 1,
    updatedAt: '2026-11-20T00:00:00.000Z',
    cursorKey: '2026-11-20T00:00:00.000000Z',
    columns: { title: 'Renewal call', description: 'x', priority: 'High', status: 'Completed', due_date: '2026-11-25', assignee_email: 'Ann@Acme.com' },
    custom: {},
  };

  it('maps hub columns to CRM fields and asks for the owner by email, never writing keys', () => {
    const mapped = mapOutbound(config, record, taskTypes);
    expect(mapped.fields).toEqual({ Subject: 'Renewal call', Description: 'x', Priority: 'High', Status: 'Completed', ActivityDate: '2026-11-25' });
    expect(mapped).toMatchObject({ ownerEmail: 'ann@acme.com', ownerField: 'OwnerId', externalIdField: 'Id' });
  });

  it('writes one hub field into two CRM fields (T22) and multi-values as a;b', () => {
    const tp = configFromTemplate('touchpoints-outbound');
    const doubled = { ...tp, mapping: [...tp.mapping, { crmField: 'StartDateTime', crmFieldType: 'datetime', hubField: 'Touchpoint Date', hubFieldType: 'Date', key: false }, { crmField: 'Tags__c', crmFieldType: 'multipicklist', hubField: 'Tags', hubFieldType: 'multi_select', key: false }] };
    const mapped = mapOutbound(doubled, { ...record, columns: { subject: 's', touchpoint_date: '2026-11-20T15:00:00.000Z' }, custom: { Tags: ['a', 'b'] } }, eventTypes);
    expect(mapped.fields).toMatchObject({ ActivityDate: '2026-11-20', StartDateTime: '2026-11-20T15:00:00.000Z', Tags__c: 'a;b' });
  });

  it('skips outside the update window (T15), without a CRM parent (T11), or when creation is off (T14)', () => {
    const mapped = mapOutbound(config, record, taskTypes);
    expect(decideOutbound(config, { ...record, updatedAt: '2026-10-01T00:00:00.000Z' }, mapped, { crmParentId: '001A', link: undefined, now })).toMatchObject({ action: 'skip', code: 'OUTSIDE_WINDOW' });
    expect(decideOutbound({ ...config, updateWindowDays: 90 }, { ...record, updatedAt: '2026-10-01T00:00:00.000Z' }, mapped, { crmParentId: '001A', link: undefined, now })).toEqual({ action: 'create' });
    expect(decideOutbound(config, record, mapped, { crmParentId: undefined, link: undefined, now })).toMatchObject({ action: 'skip', code: 'NO_CRM_PARENT' });
    expect(decideOutbound({ ...config, allowCreate: false }, record, mapped, { crmParentId: '001A', link: undefined, now })).toMatchObject({ action: 'skip', code: 'CREATE_DISABLED' });
    const link = { crmId: '00TX', lastOutboundHash: null, hubModifiedAt: null, crmModifiedAt: null, stampPending: false };
    expect(decideOutbound(config, record, mapped, { crmParentId: '001A', link, now })).toEqual({ action: 'update', crmId: '00TX' });
    expect(decideOutbound(config, record, mapped, { crmParentId: '001A', link: { ...link, lastOutboundHash: mapped.hash }, now })).toEqual({ action: 'unchanged' });
  });

  it('sends only hub changes made since the last sync, and leaves a record the CRM changed later to inbound (T18, T29)', () => {
    const mapped = mapOutbound(config, record, taskTypes);
    const synced = { crmId: '00TX', lastOutboundHash: 'older', hubModifiedAt: '2026-11-19T00:00:00.000Z', crmModifiedAt: '2026-11-19T00:00:00.000Z', stampPending: false };
    // Not changed in the hub since the last sync (e.g. the inbound job's own write): no echo.
    expect(decideOutbound(config, record, mapped, { crmParentId: '001A', link: { ...synced, hubModifiedAt: record.updatedAt }, now })).toEqual({ action: 'unchanged' });
    // Both sides changed; the CRM's change is the later one: the CRM wins.
    expect(decideOutbound(config, record, mapped, { crmParentId: '001A', link: synced, now, crm: { exists: true, modifiedAt: '2026-11-20T06:00:00.000Z' } })).toMatchObject({ action: 'skip', code: 'CRM_NEWER' });
    // Both changed; the hub's is later: the hub wins.
    expect(decideOutbound(config, record, mapped, { crmParentId: '001A', link: synced, now, crm: { exists: true, modifiedAt: '2026-11-19T12:00:00.000Z' } })).toEqual({ action: 'update', crmId: '00TX' });
    // The stamp of hubsync's own last write is not known yet: that write is not a CRM change.
    expect(decideOutbound(config, record, mapped, { crmParentId: '001A', link: { ...synced, stampPending: true }, now, crm: { exists: true, modifiedAt: '2026-11-20T06:00:00.000Z' } })).toEqual({ action: 'update', crmId: '00TX' });
    expect(decideOutbound(config, record, mapped, { crmParentId: '001A', link: synced, now, crm: { exists: false, modifiedAt: null } })).toMatchObject({ action: 'skip', code: 'CRM_DELETED' });
  });

  it('writes the campaign touch subject as the integration guide states it (T17)', () => {
    expect(campaignTouchSubject({ campaign_kind: 'ongoing', campaign_name: 'Q4 Onboarding', recipient_count: 12, sender_email: 'cs@acme.com' })).toBe('Ongoing campaign "Q4 Onboarding" was sent to 12 users. From: cs@acme.com');
    expect(campaignTouchSubject({ campaign_kind: 'one_time', campaign_name: 'Webinar', recipient_count: 1, sender_email: 'a@b.c' })).toBe('One time campaign "Webinar" was sent to 1 users. From: a@b.c');
  });
});
