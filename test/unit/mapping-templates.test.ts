// T7: the default mapping templates are the published default tables, reproduced exactly. The expected rows below are
// transcribed from the integration guide's table ("Task, Touchpoint and campaign touch default field mapping"): source object,
// source field, source field type, hub ("Totango") attribute, attribute type, and which rows are keys.
import { defaultTemplate } from '../../activities/mapping/templates';
import { configFromTemplate, parseJobConfig } from '../../activities/mapping/job-config';
import { JOB_KINDS, type JobKind } from '../../kernel/job-kinds';
import { validateStructure } from '../../activities/mapping/validate';

type SeedRow = [sourceField: string, sourceFieldType: string, attribute: string, attributeType: string];

const SEED_001: Record<Exclude<JobKind, 'accounts-inbound'>, { object: string; rows: SeedRow[] }> = {
  'touchpoints-inbound': {
    object: 'Event',
    rows: [
      ['AccountId', 'text', 'Account Id', 'Key , text'],
      ['Id', 'text', 'Touchpoint External Id', 'Key , text'],
      ['Subject', 'text', 'Subject', 'text'],
      ['Description', 'text', 'Content', 'text'],
      ['ActivityDate', 'datetime', 'Touchpoint Date', 'Date'],
      ['CreatedBy.Email', 'reference field', 'Touchpoint Creator', 'text'],
      ['LastModifiedDate', 'datetime', 'Last Update Date', 'Date'],
      ['LastModifiedBy.Email', 'reference field', 'Last Updater', 'Text'],
    ],
  },
  'touchpoints-outbound': {
    object: 'Event',
    rows: [
      ['AccountId', 'text', 'Account Id', 'Key , text'],
      ['Id', 'text', 'Touchpoint External Id', 'Key , text'],
      ['Subject', 'text', 'Subject', 'text'],
      ['Description', 'text', 'Content', 'text'],
      ['ActivityDate', 'datetime', 'Touchpoint Date', 'Date'],
      ['OwnerId', 'reference field', 'Touchpoint Creator', 'text'],
    ],
  },
  'tasks-inbound': {
    object: 'Task',
    rows: [
      ['AccountId', 'text', 'Account Id', 'Key , text'],
      ['Id', 'text', 'Task External Id', 'Key , text'],
      ['Subject', 'text', 'Title', 'text'],
      ['Description', 'text', 'Description', 'text'],
      ['Priority', 'text', 'Priority', 'text'],
      ['Status', 'text', 'Status', 'text'],
      ['ActivityDate', 'Date', 'Due Date', 'Date'],
      ['Owner.Email', 'reference field', 'Assigned To', 'text'],
      ['CreatedBy.Email', 'reference field', 'Assigner', 'text'],
      ['CreatedDate', 'Date', 'Create Date', 'date'],
      ['LastModifiedDate', 'Date', 'Last Update Date', 'date'],
    ],
  },
  'tasks-outbound': {
    object: 'Task',
    rows: [
      ['AccountId', 'text', 'Account Id', 'Key , text'],
      ['Id', 'text', 'Task External Id', 'Key , text'],
      ['Subject', 'text', 'Title', 'text'],
      ['Description', 'text', 'Description', 'text'],
      ['Priority', 'text', 'Priority', 'text'],
      ['Status', 'text', 'Status', 'text'],
      ['ActivityDate', 'Date', 'Due Date', 'Date'],
      ['OwnerId', 'reference field', 'Assigned To', 'text'],
    ],
  },
  'campaign-touch-outbound': {
    object: 'Event',
    rows: [
      ['AccountId', 'text', 'Account Id', 'Key , text'],
      ['Campaign Touch ID', 'text', 'Touchpoint External Id', 'Key , text'],
      ['Subject', 'text', 'Subject', 'text'],
      ['Description', 'text', 'Description', 'text'],
      ['ActivityDate', 'datetime', 'Start Date', 'Date'],
      ['OwnerId', 'reference field', 'Created By', 'text'],
    ],
  },
};

describe('default mapping templates (T7)', () => {
  for (const [kind, seed] of Object.entries(SEED_001) as Array<[Exclude<JobKind, 'accounts-inbound'>, (typeof SEED_001)[keyof typeof SEED_001]]>) {
    it(`${kind} reproduces the published default table row by row`, () => {
      const template = defaultTemplate(kind);
      expect(template.crmObject).toBe(seed.object);
      expect(template.rows).toHaveLength(seed.rows.length);
      template.rows.forEach((row, i) => {
        const [sourceField, sourceFieldType, attribute, attributeType] = seed.rows[i]!;
        const isKey = attributeType.startsWith('Key');
        expect({ row: i + 1, crmField: row.crmField, crmFieldType: row.crmFieldType, hubField: row.hubField, hubFieldType: row.hubFieldType, key: row.key }).toEqual({
          row: i + 1,
          crmField: sourceField,
          crmFieldType: sourceFieldType,
          hubField: attribute,
          hubFieldType: isKey ? attributeType.replace(/^Key\s*,\s*/, '') : attributeType,
          key: isKey,
        });
      });
    });
  }

  it('has an accounts-inbound template with the account key, name and Owner.Email (T1)', () => {
    const template = defaultTemplate('accounts-inbound');
    expect(template.crmObject).toBe('Account');
    expect(template.rows.filter((r) => r.key).map((r) => r.crmField)).toEqual(['Id']);
    expect(template.rows.map((r) => r.crmField)).toEqual(expect.arrayContaining(['Id', 'Name', 'Owner.Email']));
  });

  it('gives every kind a configuration that passes zod and the structural rules', () => {
    for (const kind of JOB_KINDS) {
      const config = parseJobConfig(`t-${kind}`, configFromTemplate(kind));
      expect(validateStructure(config).filter((i) => i.severity === 'error')).toEqual([]);
    }
  });

  it('returns a fresh copy each time, so editing a job never edits the template', () => {
    const a = defaultTemplate('tasks-inbound');
    a.rows[0]!.crmField = 'WhatId';
    expect(defaultTemplate('tasks-inbound').rows[0]!.crmField).toBe('AccountId');
  });

  it('defaults outbound jobs to allow creation and a 30-day update window (T14, T15)', () => {
    expect(configFromTemplate('tasks-outbound')).toMatchObject({ allowCreate: true, updateWindowDays: 30 });
    expect(configFromTemplate('tasks-inbound')).not.toHaveProperty('allowCreate');
  });
});
