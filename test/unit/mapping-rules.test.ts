// Mapping rules that need no CRM (T7, T8, T13, T17, T20, T22) and edits of a job's mapping.
import { applyJobEdit, JobEditError } from '../../activities/mapping/edit';
import { parseSoqlFilter } from '../../activities/crm/salesforce/filter';
import { andConditions } from '../../activities/crm/salesforce/soql';
import { configFromTemplate, JobConfigError, parseJobConfig, type JobConfig } from '../../activities/mapping/job-config';
import { validateStructure } from '../../activities/mapping/validate';

const codes = (config: JobConfig) => validateStructure(config).filter((i) => i.severity === 'error').map((i) => `${i.code}${i.row ? `@${i.row}` : ''}`);

describe('mapping structure', () => {
  it('requires the parent and external-ID key rows (T13)', () => {
    const config = configFromTemplate('tasks-inbound');
    expect(codes({ ...config, mapping: config.mapping.filter((r) => r.crmField !== 'AccountId') })).toEqual(['MISSING_KEY_ROW']);
    expect(codes({ ...config, mapping: config.mapping.filter((r) => r.crmField !== 'Id') })).toEqual(['MISSING_KEY_ROW']);
    const issue = validateStructure({ ...config, mapping: config.mapping.filter((r) => r.crmField !== 'Id') })[0]!;
    expect(issue.message).toMatch(/'Task External Id'/);
    expect(issue.fix).toMatch(/crmField: 'Id'.*key: true/);
  });

  it('requires a title row for tasks and subject or content for touchpoints (T20)', () => {
    const tasks = configFromTemplate('tasks-inbound');
    expect(codes({ ...tasks, mapping: tasks.mapping.filter((r) => r.hubField !== 'Title') })).toEqual(['MISSING_MANDATORY_ROW']);
    const tp = configFromTemplate('touchpoints-inbound');
    expect(codes({ ...tp, mapping: tp.mapping.filter((r) => r.hubField !== 'Subject') })).toEqual([]);
    expect(codes({ ...tp, mapping: tp.mapping.filter((r) => r.hubField !== 'Subject' && r.hubField !== 'Content') })).toEqual(['MISSING_MANDATORY_ROW']);
  });

  it('requires Start Date → ActivityDate for campaign touches (T17)', () => {
    const config = configFromTemplate('campaign-touch-outbound');
    expect(codes({ ...config, mapping: config.mapping.filter((r) => r.hubField !== 'Start Date') })).toEqual(['MISSING_MANDATORY_ROW']);
  });

  it('lets one hub field feed two CRM fields outbound (T22) but not two sources inbound', () => {
    const out = configFromTemplate('touchpoints-outbound');
    const doubled = { ...out, mapping: [...out.mapping, { crmField: 'StartDateTime', crmFieldType: 'datetime', hubField: 'Touchpoint Date', hubFieldType: 'Date', key: false }] };
    expect(codes(doubled)).toEqual([]);
    const inbound = configFromTemplate('touchpoints-inbound');
    const twoSources = { ...inbound, mapping: [...inbound.mapping, { crmField: 'StartDateTime', crmFieldType: 'datetime', hubField: 'Touchpoint Date', hubFieldType: 'Date', key: false }] };
    expect(codes(twoSources)).toEqual([`DUPLICATE_HUB_FIELD@${twoSources.mapping.length}`]);
    const twoIntoOne = { ...out, mapping: [...out.mapping, { crmField: 'Subject', crmFieldType: 'text', hubField: 'Content', hubFieldType: 'text', key: false }] };
    expect(codes(twoIntoOne)).toEqual([`DUPLICATE_CRM_FIELD@${twoIntoOne.mapping.length}`]);
  });

  it('refuses unknown hub fields with an unknown type, and keys on non-key fields', () => {
    const config = configFromTemplate('tasks-inbound');
    const bad = { ...config, mapping: [...config.mapping, { crmField: 'Type', crmFieldType: 'text', hubField: 'Whatever', hubFieldType: 'colour', key: false }] };
    expect(codes(bad)).toEqual([`UNKNOWN_HUB_FIELD@${bad.mapping.length}`]);
    const custom = { ...config, mapping: [...config.mapping, { crmField: 'Type', crmFieldType: 'text', hubField: 'Task Type', hubFieldType: 'text', key: false }] };
    expect(codes(custom)).toEqual([]);
    const keyed = { ...config, mapping: config.mapping.map((r) => (r.hubField === 'Title' ? { ...r, key: true } : r)) };
    expect(codes(keyed)).toEqual(['NOT_A_KEY@3']);
  });
});

describe('job configuration (zod)', () => {
  it('names the job, the row and the problem', () => {
    const config = configFromTemplate('tasks-inbound');
    expect(() => parseJobConfig('my-job', { ...config, mapping: [{ ...config.mapping[0], crmField: '' }] })).toThrow(/Job 'my-job'.*\n.*mapping → row 1 → crmField: crmField is empty/);
  });

  it('refuses settings of the other direction', () => {
    expect(() => parseJobConfig('j', { ...configFromTemplate('tasks-inbound'), allowCreate: false })).toThrow(JobConfigError);
    expect(() => parseJobConfig('j', { ...configFromTemplate('tasks-outbound'), filter: "Status = 'x'" })).toThrow(/filter applies to inbound jobs only/);
  });
});

describe('inbound SOQL filter (T8)', () => {
  it('accepts one condition and returns the fields it uses', () => {
    expect(parseSoqlFilter("Status = 'Completed' AND (Priority = 'High' OR Owner.Email LIKE '%@acme.com')", 'Task')).toEqual({ fields: ['Status', 'Priority', 'Owner.Email'] });
    expect(parseSoqlFilter("Subject = 'a;b) LIMIT 1'", 'Task')).toEqual({ fields: ['Subject'] });
  });

  it.each([
    ["Status = 'x') OR (Id != null", /unbalanced '\)'/],
    ["Status = 'x'; DELETE FROM Task", /';' at position 13/],
    ["Status = 'x' LIMIT 5", /LIMIT is not allowed/],
    ["Status = 'x' ORDER BY Id", /ORDER BY is not allowed/],
    ['Id IN (SELECT WhoId FROM Event)', /SELECT is not allowed/],
    ['Status = ', /not a valid SOQL condition/],
    ["Status = 'open", /unterminated string/],
  ])('refuses %s', (filter, message) => {
    const result = parseSoqlFilter(filter, 'Task');
    expect(result).toMatchObject({ severity: 'error', message: expect.stringMatching(message) });
  });

  it('wraps each condition in parentheses when combining', () => {
    expect(andConditions(["a = 1 OR b = 2", undefined, 'c = 3'])).toBe('(a = 1 OR b = 2) AND (c = 3)');
    expect(andConditions([undefined, ' '])).toBeUndefined();
  });
});

describe('mapping edits', () => {
  const base = configFromTemplate('tasks-inbound');

  it('adds, changes and removes rows by number or CRM field', () => {
    const edited = applyJobEdit('j', base, {
      addRows: [{ crmField: 'Type', hubField: 'Task Type', hubFieldType: 'text' }],
      changeRows: [{ row: 'Description', crmField: 'Description', hubField: 'Description', hubFieldType: 'text' }, { row: 5, crmField: 'TaskSubtype' }],
      removeRows: ['CreatedDate'],
    });
    expect(edited.mapping.map((r) => r.crmField)).toEqual(['AccountId', 'Id', 'Subject', 'Description', 'TaskSubtype', 'Status', 'ActivityDate', 'Owner.Email', 'CreatedBy.Email', 'LastModifiedDate', 'Type']);
    expect(edited.mapping.at(-1)).toEqual({ crmField: 'Type', crmFieldType: '', hubField: 'Task Type', hubFieldType: 'text', key: false });
    expect(base.mapping).toHaveLength(11);
  });

  it('sets and clears the filter, and refuses unknown rows and keys', () => {
    expect(applyJobEdit('j', base, { filter: "Status = 'x'" }).filter).toBe("Status = 'x'");
    expect(applyJobEdit('j', { ...base, filter: 'a = 1' }, { filter: '' })).not.toHaveProperty('filter');
    expect(() => applyJobEdit('j', base, { removeRows: [40] })).toThrow(JobEditError);
    expect(() => applyJobEdit('j', base, { removeRows: ['Nope__c'] })).toThrow(/no mapping row with crmField 'Nope__c'/);
    expect(() => applyJobEdit('j', base, { colour: 'red' })).toThrow(/invalid edit/);
  });
});
