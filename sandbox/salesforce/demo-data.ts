/**
 * The demo org `npm start` serves: a deterministic (seeded PRNG, same records and IDs every time) customer-
 * success book of business, written through the same DML path as API calls so every platform field is right.
 * Dates are placed relative to the sandbox clock's current UTC day, within getUpdated's 30-day window.
 *
 * Besides ordinary data it holds one or two records for each edge case the integration jobs must handle;
 * their Subject (or Description) starts with "Edge case:" (see the README "Salesforce sandbox").
 */
import { createRecord, deleteRecord, parseInput, updateRecord, type DmlContext } from './dml';
import { type FaultInjector } from './faults';
import { type FieldValue, type StoredRecord } from './model';
import { Prng } from './prng';
import { ACCOUNT_TYPES } from './schema';
import { type Store } from './store';

const HOUR_MS = 3600 * 1000;
const DAY_MS = 24 * HOUR_MS;

export const DEMO_CUSTOM_FIELDS = {
  Account: [
    { name: 'Tier__c', type: 'picklist', label: 'Tier', values: ['Tier 1', 'Tier 2', 'Tier 3'], restricted: true },
    { name: 'Health_Score__c', type: 'number', label: 'Health Score', precision: 3, scale: 0 },
    { name: 'Products__c', type: 'multipicklist', label: 'Products', values: ['Analytics', 'Automation', 'Engage', 'Insights', 'Platform'], restricted: true },
    { name: 'CSM_Email__c', type: 'email', label: 'CSM Email' },
    { name: 'Renewal_Date__c', type: 'date', label: 'Renewal Date' },
    { name: 'Is_Strategic__c', type: 'checkbox', label: 'Strategic' },
    // A formula field (read-only, computed by the sandbox on every save): what hubsync must never write back to.
    {
      name: 'Health_Band__c',
      type: 'formula',
      returnType: 'text',
      label: 'Health Band',
      formula: 'IF(ISBLANK(Health_Score__c), NULL, IF(Health_Score__c >= 70, "Green", IF(Health_Score__c >= 40, "Yellow", "Red")))',
    },
  ],
  Task: [{ name: 'Hubsync_External_Id__c', type: 'text', label: 'Hubsync External ID', length: 255, externalId: true, unique: true }],
  Event: [{ name: 'Hubsync_External_Id__c', type: 'text', label: 'Hubsync External ID', length: 255, externalId: true, unique: true }],
} as const;

const OWNERS = [
  { FirstName: 'Alice', LastName: 'Martin', Title: 'Senior Customer Success Manager', Department: 'Customer Success' },
  { FirstName: 'Bruno', LastName: 'Keller', Title: 'Customer Success Manager', Department: 'Customer Success' },
  { FirstName: 'Chloé', LastName: 'Dubois', Title: 'Customer Success Manager', Department: 'Customer Success' },
  { FirstName: 'Dev', LastName: 'Patel', Title: 'Account Executive', Department: 'Sales' },
  { FirstName: 'Emma', LastName: 'Johansson', Title: 'Head of Customer Success', Department: 'Customer Success' },
  { FirstName: 'Frank', LastName: "O'Neil", Title: 'Customer Success Manager (left the company)', Department: 'Customer Success' },
];
const PREFIXES = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne', 'Wonka', 'Hooli', 'Vandelay', 'Soylent', 'Cyberdyne', 'Tyrell', 'Aperture', 'Massive', 'Pied Piper', 'Gringotts', 'Oscorp', 'Monarch', 'Nakatomi', 'Virtucon', 'Blue Sun', 'Duff', 'Krusty', 'Sterling', 'Dunder'];
const SUFFIXES = ['Analytics', 'Logistics', 'Health', 'Systems', 'Labs', 'Foods', 'Energy', 'Media', 'Bank', 'Robotics', 'Retail', 'Telecom'];
const INDUSTRY_BY_SUFFIX: Record<string, string> = {
  Analytics: 'Technology', Logistics: 'Transportation', Health: 'Healthcare', Systems: 'Technology', Labs: 'Biotechnology', Foods: 'Food & Beverage',
  Energy: 'Energy', Media: 'Media', Bank: 'Banking', Robotics: 'Machinery', Retail: 'Retail', Telecom: 'Telecommunications',
};
const CITIES = [['San Francisco', 'United States'], ['New York', 'United States'], ['Chicago', 'United States'], ['London', 'United Kingdom'], ['Paris', 'France'], ['Berlin', 'Germany'], ['Stockholm', 'Sweden'], ['Tokyo', 'Japan'], ['Sydney', 'Australia'], ['Toronto', 'Canada']] as const;
const FIRST_NAMES = ['Ada', 'Ben', 'Carla', 'Diego', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kara', 'Liam', 'Maya', 'Noah', 'Olga', 'Pablo', 'Quinn', 'Rosa', 'Sami', 'Tara', 'Uma', 'Victor', 'Wendy', 'Yusuf', 'Zoe'];
const LAST_NAMES = ['Nguyen', 'Smith', 'Garcia', 'Müller', 'Rossi', 'Kim', 'Silva', 'Cohen', 'Novak', 'Okafor', 'Larsen', 'Dubois', 'Tanaka', 'Brown', 'Ivanova', 'Haddad', 'Moreau', 'Jensen', 'Costa', 'Walsh'];
const TITLES = ['VP Operations', 'Director of IT', 'Head of Analytics', 'Operations Manager', 'CTO', 'Procurement Lead', 'Data Engineer', 'Customer Experience Lead'];
const TASK_SUBJECTS = ['Quarterly business review prep', 'Follow up on renewal', 'Onboarding check-in', 'Send usage report', 'Call about support escalation', 'Schedule executive sponsor meeting', 'Review health score drop', 'Share product roadmap', 'Confirm training session', 'Collect NPS feedback'];
const EVENT_SUBJECTS = ['Quarterly business review', 'Kickoff meeting', 'Training session', 'Executive sync', 'Renewal discussion'];
const OPEN_STATUSES = ['Not Started', 'In Progress', 'Waiting on someone else', 'Deferred'];
const PRODUCTS = ['Analytics', 'Automation', 'Engage', 'Insights', 'Platform'];

export interface DemoSummary {
  users: number;
  accounts: number;
  contacts: number;
  tasks: number;
  events: number;
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '');
}

function emailLocal(first: string, last: string): string {
  return `${first}.${last}`.normalize('NFD').replace(/[^A-Za-z.]/g, '').toLowerCase();
}

/** Seeds the demo dataset into an org that has only its baseline (see org.ts). */
export function seedDemo(store: Store, faults: FaultInjector, adminUserId: string): DemoSummary {
  for (const [object, specs] of Object.entries(DEMO_CUSTOM_FIELDS)) {
    for (const spec of specs) if (!store.schema.field(store.schema.require(object), spec.name)) store.addCustomField(object, { ...spec, values: 'values' in spec ? [...spec.values] : undefined });
  }
  if (!store.schema.get('Project__c')) {
    store.addCustomObject({ name: 'Project__c', label: 'Project', labelPlural: 'Projects', allowActivities: true, fields: [{ name: 'Stage__c', type: 'picklist', values: ['Planned', 'Active', 'Done'] }] });
  }

  const rng = new Prng(42);
  const clockState = store.clock.snapshot();
  const today = Math.floor(store.clock.nowMs() / DAY_MS) * DAY_MS;
  // Every seeded timestamp lies before the moment of seeding, whatever the hour: a record stamped in the future
  // would put a job's cursor past every change made after the import (seeded just after midnight UTC, "today
  // at 06:00" would be hours ahead).
  const seededAt = store.clock.nowMs();
  const ctx: DmlContext = { store, faults, userId: adminUserId };
  const at = (ms: number) => store.clock.restore({ offsetMs: 0, frozenAt: ms });
  const create = (type: string, values: Record<string, FieldValue>, whenMs: number): StoredRecord => {
    at(whenMs);
    return createRecord(ctx, parseInput(store, store.schema.require(type), values));
  };
  const update = (record: StoredRecord, values: Record<string, FieldValue>, whenMs: number): StoredRecord => {
    at(whenMs);
    return updateRecord(ctx, store.getRecord(record.id) ?? record, parseInput(store, store.schema.require(record.type), values));
  };
  const past = (maxDays: number) => today - rng.int(1, maxDays) * DAY_MS + rng.int(8, 18) * HOUR_MS + rng.int(0, 59) * 60000;

  try {
    const owners = OWNERS.map((o) => {
      const email = `${emailLocal(o.FirstName, o.LastName)}@hubsync.sandbox`;
      return create('User', { ...o, Username: email, Email: email, IsActive: true, TimeZoneSidKey: 'Europe/Paris' }, today - 45 * DAY_MS);
    });
    const active = owners.slice(0, 5);
    const inactive = owners[5];

    const accounts: StoredRecord[] = [];
    for (let i = 0; i < 50; i++) {
      const prefix = PREFIXES[i % PREFIXES.length] ?? 'Acme';
      const suffix = SUFFIXES[(i * 7) % SUFFIXES.length] ?? 'Labs';
      const name = `${prefix} ${suffix}`;
      const [city, country] = CITIES[i % CITIES.length] ?? ['Paris', 'France'];
      const owner = i % 25 === 24 && inactive ? inactive : rng.pick(active);
      const revenue = rng.int(5, 900) * 1_000_000;
      const products = PRODUCTS.filter(() => rng.chance(0.4));
      accounts.push(
        create(
          'Account',
          {
            Name: name,
            Industry: INDUSTRY_BY_SUFFIX[suffix] ?? 'Other',
            Type: i % 9 === 8 ? 'Prospect' : i % 7 === 6 ? 'Customer - Channel' : (ACCOUNT_TYPES[1] ?? 'Customer - Direct'),
            Website: `https://www.${slug(name)}.example.com`,
            Phone: `+1 415 555 ${String(1000 + i).slice(-4)}`,
            BillingCity: city,
            BillingCountry: country,
            NumberOfEmployees: rng.int(20, 20000),
            AnnualRevenue: revenue,
            OwnerId: owner.id,
            Tier__c: revenue > 500_000_000 ? 'Tier 1' : revenue > 100_000_000 ? 'Tier 2' : 'Tier 3',
            Health_Score__c: rng.int(20, 98),
            Products__c: (products.length ? products : ['Platform']).join(';'),
            CSM_Email__c: String(owner.fields['Email']),
            Renewal_Date__c: new Date(today + rng.int(20, 360) * DAY_MS).toISOString().slice(0, 10),
            Is_Strategic__c: revenue > 600_000_000,
          },
          past(25),
        ),
      );
    }
    // Subsidiaries: the last five accounts roll up to the first five.
    for (let i = 45; i < 50; i++) {
      const child = accounts[i];
      const parent = accounts[i - 45];
      if (child && parent) accounts[i] = update(child, { ParentId: parent.id }, past(20));
    }

    const contactsByAccount = new Map<string, StoredRecord[]>();
    let contactCount = 0;
    for (const account of accounts) {
      const domain = new URL(String(account.fields['Website'])).hostname.replace(/^www\./, '');
      const list: StoredRecord[] = [];
      for (let j = rng.int(2, 4); j > 0; j--) {
        const first = rng.pick(FIRST_NAMES);
        const last = rng.pick(LAST_NAMES);
        list.push(
          create('Contact', { AccountId: account.id, FirstName: first, LastName: last, Email: `${emailLocal(first, last)}@${domain}`, Title: rng.pick(TITLES), Phone: `+1 212 555 ${rng.int(1000, 9999)}`, OwnerId: account.fields['OwnerId'] ?? null }, past(20)),
        );
      }
      contactsByAccount.set(account.id, list);
      contactCount += list.length;
    }

    let taskCount = 0;
    let eventCount = 0;
    let extSeq = 1;
    for (const account of accounts) {
      const contacts = contactsByAccount.get(account.id) ?? [];
      const ownerId = account.fields['OwnerId'] ?? adminUserId;
      for (let j = rng.int(3, 8); j > 0; j--) {
        const completed = rng.chance(0.6);
        const contactOnly = rng.chance(0.1);
        const created = past(20);
        const task = create(
          'Task',
          {
            Subject: rng.pick(TASK_SUBJECTS),
            Status: completed ? 'Completed' : rng.pick(OPEN_STATUSES),
            Priority: rng.chance(0.15) ? 'High' : rng.chance(0.1) ? 'Low' : 'Normal',
            ActivityDate: new Date(today + rng.int(-20, 30) * DAY_MS).toISOString().slice(0, 10),
            Type: rng.pick(['Call', 'Email', 'Meeting', 'Other']),
            WhoId: contacts.length && (contactOnly || rng.chance(0.7)) ? rng.pick(contacts).id : null,
            WhatId: contactOnly && contacts.length ? null : account.id,
            OwnerId: ownerId,
            Description: rng.chance(0.5) ? 'Logged from the customer-success hub.' : null,
            Hubsync_External_Id__c: rng.chance(0.2) ? `hub-task-${String(extSeq++).padStart(5, '0')}` : null,
          },
          created,
        );
        if (rng.chance(0.3)) update(task, { Description: 'Updated after the call.' }, Math.min(created + rng.int(1, 48) * HOUR_MS, seededAt - HOUR_MS));
        taskCount++;
      }
      for (let j = rng.int(1, 3); j > 0; j--) {
        const start = today + rng.int(-15, 20) * DAY_MS + rng.int(9, 16) * HOUR_MS;
        create(
          'Event',
          {
            Subject: rng.pick(EVENT_SUBJECTS),
            StartDateTime: new Date(start).toISOString(),
            DurationInMinutes: rng.pick([30, 45, 60]),
            Type: rng.chance(0.8) ? 'Meeting' : 'Call',
            Location: rng.chance(0.5) ? 'Zoom' : 'On site',
            WhoId: contacts.length ? rng.pick(contacts).id : null,
            WhatId: account.id,
            OwnerId: ownerId,
          },
          past(20),
        );
        eventCount++;
      }
    }

    const edge = seedEdgeCases(store, { create, update, ctx, at, past, today, accounts, contactsByAccount });
    taskCount += edge.tasks;
    eventCount += edge.events;

    // Frank left: his user is deactivated after his records were assigned (assigning him now would fail).
    if (inactive) update(inactive, { IsActive: false }, today - 2 * DAY_MS);

    return { users: owners.length, accounts: accounts.length, contacts: contactCount, tasks: taskCount, events: eventCount };
  } finally {
    store.clock.restore(clockState);
  }
}

interface EdgeDeps {
  create: (type: string, values: Record<string, FieldValue>, whenMs: number) => StoredRecord;
  update: (record: StoredRecord, values: Record<string, FieldValue>, whenMs: number) => StoredRecord;
  ctx: DmlContext;
  at: (ms: number) => void;
  past: (maxDays: number) => number;
  today: number;
  accounts: StoredRecord[];
  contactsByAccount: Map<string, StoredRecord[]>;
}

function seedEdgeCases(store: Store, d: EdgeDeps): { tasks: number; events: number } {
  const [a0, a1, a2] = d.accounts;
  if (!a0 || !a1 || !a2) throw new Error('demo data needs accounts');
  const contact = d.contactsByAccount.get(a2.id)?.[0];
  if (!contact) throw new Error('demo data needs contacts');
  const project = d.create('Project__c', { Name: 'Hubsync rollout', Stage__c: 'Active' }, d.past(15));
  let tasks = 0;
  let events = 0;
  const task = (values: Record<string, FieldValue>, when = d.past(10)) => {
    tasks++;
    return d.create('Task', { Status: 'Not Started', ...values }, when);
  };

  task({ Subject: null, WhatId: a0.id, Description: 'Edge case: task without a subject', Hubsync_External_Id__c: 'edge-task-no-subject' });
  task({ Subject: 'Edge case: task related to a project (no account)', WhatId: project.id, Hubsync_External_Id__c: 'edge-task-project' });
  task({ Subject: 'Edge case: project task with a contact (AccountId from the contact)', WhatId: project.id, WhoId: contact.id });
  task({ Subject: 'Edge case: task with a contact only (AccountId from the contact)', WhoId: contact.id });
  task({ Subject: 'Edge case: task with no related records' });
  const sameStamp = d.past(5);
  task({ Subject: 'Edge case: same SystemModstamp (1 of 2)', WhatId: a1.id, Hubsync_External_Id__c: 'edge-task-same-stamp-1' }, sameStamp);
  task({ Subject: 'Edge case: same SystemModstamp (2 of 2)', WhatId: a1.id, Hubsync_External_Id__c: 'edge-task-same-stamp-2' }, sameStamp);
  const deleted = task({ Subject: 'Edge case: deleted task (in the recycle bin)', WhatId: a1.id, Hubsync_External_Id__c: 'edge-task-deleted' });
  d.at(d.past(2));
  deleteRecord(d.ctx, store.getRecord(deleted.id) ?? deleted);

  events++;
  d.create('Event', { StartDateTime: new Date(d.today + 2 * 24 * 3600 * 1000 + 10 * 3600 * 1000).toISOString(), DurationInMinutes: 30, WhatId: a0.id, Hubsync_External_Id__c: 'edge-event-no-subject' }, d.past(8));
  events++;
  d.create(
    'Event',
    { Subject: 'Edge case: event from StartDateTime + DurationInMinutes (ActivityDate derived)', StartDateTime: new Date(d.today - 3 * 24 * 3600 * 1000 + 23 * 3600 * 1000 + 30 * 60000).toISOString(), DurationInMinutes: 90, WhoId: contact.id, WhatId: a2.id },
    d.past(8),
  );
  events++;
  d.create('Event', { Subject: 'Edge case: all-day event', IsAllDayEvent: true, ActivityDate: new Date(d.today + 5 * 24 * 3600 * 1000).toISOString().slice(0, 10), WhatId: a2.id }, d.past(8));
  return { tasks, events };
}
