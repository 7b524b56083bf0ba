// Hostile input corpus (issue 14 §2): malformed and hostile inputs at every entry point, table-driven, one test
// per case. Entry points: CLI flags and files (`hubsync job create|edit|enable|schedule`, `connection add|update`,
// `writeback`, `attribute write-back`, `account link`, `hub task create`), job YAML/JSON files (type confusion,
// alias bombs, duplicate keys, tabs, BOM and UTF-16, invalid UTF-8, NUL and control characters, 1 MB strings),
// mappings (T7, T9, T13, T21: unknown fields, deep references, duplicate targets), inbound filters (T8: SOQL
// injection, sub-queries, unbalanced quotes, comments, fields of other objects), write-back requests through the
// typed client (P4, W3, W8, W9, W14) and the CLI, the write-back switch (W1, W7), account links (W5), hub records
// (T20), connection settings and secrets, schedules (P2, T10), and the sandboxes' admin APIs.
// Each case must be refused with a message that says what is wrong, where, and how to fix it; the hub tables are
// compared before and after (test/support/db-snapshot.ts: every table, restricted to this file's `hi` rows); for
// CRM-facing cases the sandbox's request log must show no write, and where a Temporal Schedule could be touched
// the file's schedules must be as they were. Real PostgreSQL, Temporal dev server, worker, Salesforce and
// Dataverse sandboxes over HTTP, the real `hubsync` CLI for the CLI cases.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { addConnection, updateConnection } from '../../activities/hub/connections';
import { createValidatedJob, editValidatedJob, templateConfigFor } from '../../activities/jobs/configure';
import { configFromTemplate, type JobConfig } from '../../activities/mapping/job-config';
import { checkConnection } from '../../activities/sessions';
import { HubsyncClient } from '../../client/hubsync-client';
import { describeFailure } from '../../client/format';
import { readConfigFile } from '../../client/input';
import { HubsyncError, type ErrorKind } from '../../kernel/errors';
import type { JobKind } from '../../kernel/job-kinds';
import type { WriteBackRequest } from '../../kernel/writeback';
import { startDynamicsSandbox, type DynamicsSandboxHandle } from '../../sandbox/dynamics';
import { runCli } from '../support/cli';
import { snapshotHub } from '../support/db-snapshot';
import { startSalesforceFixture, testSecretBox, type SalesforceFixture } from '../support/salesforce';
import { fileTaskQueue, testPool, testStack } from '../support/test-env';
import { hubAccountOf, importAccounts, loggedRequests, prefixedAccountsConfig, startFileWorker } from '../support/writeback';

jest.setTimeout(240000);

/** Every connection, job and attribute of this file starts with `hi` (the snapshot's scope). */
const C = 'hi-sf';
/** A second connection to the same org: its hub accounts are none, so `hi-other:<an hi-sf account>` is another connection's ID. */
const OTHER = 'hi-other';
const TASKS = `${C}-tasks`;
const TASKS_OUT = `${C}-tasks-out`;
/** Job IDs a refused create would have used (a defect would leave them behind). */
const DRAFT = 'hi-draft';

const MB = 'x'.repeat(1024 * 1024);
const lolBomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefg'[i]}`).join(',')}]`), 'filter: *h', ''].join('\n');

interface Fixture {
  /** Hub account 1 and 2 (linked to hi-sf's first two accounts) and their Salesforce IDs. */
  h1: number;
  h2: number;
  acc1: string;
  acc2: string;
  /** A hub task on account 1. */
  taskId: number;
  file(name: string): string;
  hubsync: HubsyncClient;
}

type Input =
  /** The real CLI as a child process; files are written to the file's temp directory first. */
  | { cli: (f: Fixture) => string[] }
  /** A typed call (the client, or the function the CLI command calls). */
  | { call: (f: Fixture) => Promise<unknown> }
  /** A sandbox admin call with a raw body. */
  | { admin: 'salesforce' | 'dynamics'; method: string; path: string; body: string };

interface HostileCase {
  id: string;
  entryPoint: string;
  title: string;
  files?: Record<string, string | Buffer>;
  input: Input;
  expect: {
    /** CLI: exit code; typed call: the HubsyncError kind thrown; sandbox admin: the HTTP status. */
    exitCode?: number;
    kind?: ErrorKind;
    status?: number;
    what: RegExp;
    where: RegExp;
    fix: RegExp;
  };
  /** The CRM is asked (validation, auth, a read): its request log must show no write. */
  crm?: true;
  /** A Temporal Schedule could be touched (job enable/schedule): the file's schedules must be unchanged. */
  schedules?: true;
}

const cfg = (extra: Record<string, unknown>, kind: JobKind = 'tasks-inbound'): Record<string, unknown> => ({ ...configFromTemplate(kind), ...extra });
const rows = (kind: JobKind = 'tasks-inbound') => configFromTemplate(kind).mapping;
const row = (crmField: string, hubField: string, hubFieldType = 'text', key = false) => ({ crmField, crmFieldType: '', hubField, hubFieldType, key });

let pool: ReturnType<typeof testPool>;
const create = (config: unknown, id = DRAFT, connectionId = C) => createValidatedJob(pool, testSecretBox, { id, connectionId, config });
const edit = (id: string, change: unknown) => editValidatedJob(pool, testSecretBox, id, change);
/** What `hubsync job create --kind <kind> --connection hi-sf --file <file>` does with the file. */
const createFromFile = async (file: string, kind: JobKind = 'tasks-inbound', id = DRAFT) => {
  const base = await templateConfigFor(pool, { id, kind, connectionId: C });
  return create({ ...base, ...readConfigFile(file), kind }, id);
};
const wb = (f: Fixture, extra: Partial<WriteBackRequest> & Record<string, unknown>) =>
  f.hubsync.writeBack({ account: f.h1, changes: { hi_tier: 'Tier 1' }, origin: 'account-profile', actor: 'csm@hub.example', ...extra } as WriteBackRequest);
const sfSettings = { kind: 'salesforce', baseUrl: 'https://acme.my.salesforce.example', clientId: 'app', refreshToken: 'refresh' };
const add = (input: Record<string, unknown>) => addConnection(pool, testSecretBox, { id: 'hi-new', ...sfSettings, ...input }, { check: checkConnection });

const JOB_FIX = /fix: correct the settings named above/;

const CASES: HostileCase[] = [
  // ------------------------------------------------------------------------------------------- the CLI
  {
    id: 'cli-01', entryPoint: 'hubsync job create --file', title: 'a YAML alias bomb (billion laughs)',
    files: { 'bomb.yaml': lolBomb },
    input: { cli: (f) => ['job', 'create', '--kind', 'tasks-inbound', '--connection', C, '--id', DRAFT, '--file', f.file('bomb.yaml')] },
    expect: { exitCode: 1, what: /Excessive alias count|resource exhaustion/, where: /--file \S*bomb\.yaml/, fix: /fix: correct the file/ }, crm: true,
  },
  {
    id: 'cli-02', entryPoint: 'hubsync job create --file', title: 'invalid UTF-8 bytes in a YAML file',
    files: { 'latin1.yaml': Buffer.concat([Buffer.from("crmObject: Task\nfilter: \"Subject = 'Caf"), Buffer.from([0xe9]), Buffer.from("'\"\n")]) },
    input: { cli: (f) => ['job', 'create', '--kind', 'tasks-inbound', '--connection', C, '--id', DRAFT, '--file', f.file('latin1.yaml')] },
    expect: { exitCode: 1, what: /is not part of a UTF-8 character/, where: /latin1\.yaml: not UTF-8 text: byte 0xE9 at line 2, column 24/, fix: /fix: save the file as UTF-8/ }, crm: true,
  },
  {
    id: 'cli-03', entryPoint: 'hubsync job create --kind', title: 'an unknown job kind',
    input: { cli: () => ['job', 'create', '--kind', "tasks-inbound'; DROP TABLE integration_jobs; --", '--connection', C, '--from-template'] },
    expect: { exitCode: 1, what: /Unknown job kind 'tasks-inbound'; DROP/, where: /job kind/, fix: /Use one of: accounts-inbound, tasks-inbound/ },
  },
  {
    id: 'cli-04', entryPoint: 'hubsync job create --connection', title: 'a connection that looks like a record of another connection',
    input: { cli: (f) => ['job', 'create', '--kind', 'tasks-inbound', '--connection', `${OTHER}:${f.acc1}`, '--id', DRAFT, '--from-template'] },
    expect: { exitCode: 1, what: /Unknown connection 'hi-other:001/, where: /Job 'hi-draft'/, fix: /Known: .*\bhi-other\b.*Add one with `hubsync connection add`/ },
  },
  {
    id: 'cli-05', entryPoint: 'hubsync job edit --filter', title: "SOQL injection closing the filter's parentheses",
    input: { cli: () => ['job', 'edit', TASKS, '--filter', "Subject = 'x') OR (Id != null"] },
    expect: { exitCode: 1, what: /unbalanced '\)' at position 14/, where: /Job 'hi-sf-tasks'[\s\S]*filter:/, fix: /fix: write one SOQL condition/ }, crm: true,
  },
  {
    id: 'cli-06', entryPoint: 'hubsync job edit --file', title: 'a JSON file with a duplicate key',
    files: { 'dup.json': '{\n  "filter": "Status != \'Completed\'",\n  "filter": "Subject != null"\n}\n' },
    input: { cli: (f) => ['job', 'edit', TASKS, '--file', f.file('dup.json')] },
    expect: { exitCode: 1, what: /duplicate key 'filter'|keys must be unique/i, where: /dup\.json.*line 3/, fix: /fix: correct the file/ },
  },
  {
    id: 'cli-07', entryPoint: 'hubsync job edit --allow-create', title: 'a boolean flag given a word',
    input: { cli: () => ['job', 'edit', TASKS_OUT, '--allow-create', 'maybe'] },
    expect: { exitCode: 1, what: /not 'maybe'/, where: /--allow-create/, fix: /takes true or false/ },
  },
  {
    id: 'cli-08', entryPoint: 'hubsync job edit --update-window', title: 'a number flag out of range',
    input: { cli: () => ['job', 'edit', TASKS_OUT, '--update-window', '0'] },
    expect: { exitCode: 1, what: /not 0/, where: /--update-window/, fix: /takes a whole number from 1 to 3650/ },
  },
  {
    id: 'cli-09', entryPoint: 'hubsync job enable --every', title: 'a schedule every 10 seconds',
    input: { cli: () => ['job', 'enable', TASKS, '--every', '10s', '--no-run'] },
    expect: { exitCode: 1, what: /10s is out of range/, where: /--every/, fix: /fix: give an interval from 1m to 366d/ }, schedules: true,
  },
  {
    id: 'cli-10', entryPoint: 'hubsync job enable --cron', title: 'a cron minute of 61',
    input: { cli: () => ['job', 'enable', TASKS, '--cron', '61 * * * *', '--no-run'] },
    expect: { exitCode: 1, what: /'61' is not a valid minute \(0-59\)/, where: /--cron "61 \* \* \* \*"/, fix: /fix: write five fields/ }, schedules: true,
  },
  {
    id: 'cli-11', entryPoint: 'hubsync connection add <id>', title: 'a connection ID with a slash and a space',
    input: { cli: () => ['connection', 'add', 'hi bad/id', '--base-url', 'https://acme.example', '--client-id', 'x', '--refresh-token', 'y', '--no-check'] },
    expect: { exitCode: 1, what: /Invalid connection; nothing was saved/, where: /- id: /, fix: /use lowercase letters, digits and dashes/ },
  },
  {
    id: 'cli-12', entryPoint: 'hubsync connection add --base-url', title: 'a javascript: URL',
    input: { cli: () => ['connection', 'add', 'hi-js', '--base-url', 'javascript:alert(1)', '--client-id', 'x', '--refresh-token', 'y', '--no-check'] },
    expect: { exitCode: 1, what: /baseUrl must be the org URL/, where: /- baseUrl: /, fix: /e\.g\. https:\/\/acme\.my\.salesforce\.com/ },
  },
  {
    id: 'cli-13', entryPoint: 'hubsync connection add --file', title: 'a secret with a CR LF (header injection)',
    files: { 'nl-secret.yaml': 'baseUrl: https://acme.example\nclientId: app\nrefreshToken: "abc\\r\\nX-Injected: 1"\n' },
    input: { cli: (f) => ['connection', 'add', 'hi-nl', '--file', f.file('nl-secret.yaml'), '--no-check'] },
    expect: { exitCode: 1, what: /control character U\+000D/, where: /- refreshToken: /, fix: /remove it/ },
  },
  {
    id: 'cli-14', entryPoint: 'hubsync writeback <account>', title: 'the account ID of another connection',
    input: { cli: (f) => ['writeback', `${OTHER}:${f.acc1}`, '--set', 'hi_tier=Tier 1'] },
    expect: { exitCode: 2, what: /no hub account is linked to 001\w+ on connection 'hi-other'/, where: /account 'hi-other:001/, fix: /check both; run its accounts-inbound job/ }, crm: true,
  },
  {
    id: 'cli-15', entryPoint: 'hubsync writeback --set', title: 'a --set without =',
    input: { cli: (f) => ['writeback', String(f.h1), '--set', 'hi_health_score=12', '--set', 'hi_tier'] },
    expect: { exitCode: 2, what: /is not key=value/, where: /--set 'hi_tier'/, fix: /e\.g\. --set tier="Tier 1"/ }, crm: true,
  },
  {
    id: 'cli-16', entryPoint: 'hubsync writeback --set / --request-id', title: 'terminal escape sequences in a value, spaces in the request ID',
    input: { cli: (f) => ['writeback', String(f.h1), '--set', 'hi_account_notes=ring\u0007\u001b[2Jcleared', '--request-id', 'id with spaces'] },
    expect: { exitCode: 2, what: /control character U\+0007/, where: /requestId:[\s\S]*hi_account_notes:/, fix: /letters, digits and \. _ : @ \/ -[\s\S]*remove it/ }, crm: true,
  },
  {
    id: 'cli-17', entryPoint: 'hubsync attribute write-back <state>', title: 'a state that is neither on nor off',
    input: { cli: () => ['attribute', 'write-back', 'hi_tier', 'maybe'] },
    expect: { exitCode: 1, what: /not 'maybe'/, where: /state must be on or off/, fix: /fix: hubsync attribute write-back hi_tier on/ },
  },
  {
    id: 'cli-18', entryPoint: 'hubsync account link', title: 'a record of a connection with no accounts job',
    input: { cli: (f) => ['account', 'link', String(f.h1), `${OTHER}:${f.acc2}`] },
    expect: { exitCode: 1, what: /has no accounts-inbound job/, where: /Connection 'hi-other'/, fix: /fix: create one first: `hubsync job create --kind accounts-inbound --connection hi-other --from-template`/ }, crm: true,
  },
  {
    id: 'cli-19', entryPoint: 'hubsync hub task create', title: 'an empty title, 30 February and a broken email',
    input: { cli: (f) => ['hub', 'task', 'create', '--account', String(f.h1), '--title', ' ', '--due', '2026-02-30', '--assignee', 'bob@'] },
    expect: { exitCode: 1, what: /New task refused; nothing was written/, where: /--title:[\s\S]*--due:[\s\S]*--assignee:/, fix: /fix: give a text with at least one non-blank character[\s\S]*fix: write the date as YYYY-MM-DD/ },
  },
  {
    id: 'cli-20', entryPoint: 'hubsync hub task create --account', title: 'SQL injection as the account',
    input: { cli: () => ['hub', 'task', 'create', '--account', '1 OR 1=1', '--title', 'x'] },
    expect: { exitCode: 1, what: /"1 OR 1=1" is not a hub ID/, where: /--account:/, fix: /fix: give the hub ID of the account/ },
  },

  // ------------------------------------------------------------------- job files (as `job create|edit --file`)
  ...(
    [
      ['file-01', 'the mapping as a map instead of a list', 'map.yaml', 'mapping:\n  crmField: Id\n  hubField: Task External Id\n', /expected array/, /mapping:/],
      ['file-02', 'a number where the object name goes', 'num.yaml', 'crmObject: 123\n', /expected string/, /crmObject:/],
      ['file-03', "a key row's `key` as the string \"true\"", 'keystr.yaml', 'mapping:\n  - { crmField: AccountId, hubField: Account Id, hubFieldType: text, key: "true" }\n', /expected boolean/, /mapping → row 1 → key:/],
      ['file-04', 'a list where the filter goes', 'list-filter.yaml', "filter:\n  - Status = 'Open'\n", /expected string/, /filter:/],
      ['file-05', 'a schedule as a bare number', 'schedule.yaml', 'schedule: { every: 15 }\n', /schedule takes \{ every: "15m" \} .* or \{ cron: "0 \* \* \* \*" \}/, /schedule:/],
      ['file-06', 'an unknown top-level setting', 'unknown.yaml', 'crmObject: Task\ncolour: red\n', /unknown setting 'colour'/, /config:/],
      // Checked in full when saved, not first when the job is enabled and Temporal would be asked.
      ['file-15', 'a schedule every second', 'every-second.yaml', 'schedule: { every: 1s }\n', /every 1s is out of range[\s\S]*fix: give an interval from 1m to 366d/, /schedule → every:/],
      ['file-16', 'a cron expression with minute 61', 'cron-61.yaml', 'schedule: { cron: "61 * * * *" }\n', /'61' is not a valid minute \(0-59\)/, /schedule → cron:/],
    ] as const
  ).map(([id, title, name, content, what, where]): HostileCase => ({
    id, entryPoint: 'job file (job create --file)', title, files: { [name]: content },
    input: { call: (f) => createFromFile(f.file(name)) },
    expect: { kind: 'configuration', what, where, fix: JOB_FIX },
  })),
  {
    id: 'file-07', entryPoint: 'job file (job create --file)', title: 'a duplicate key in YAML',
    files: { 'dup.yaml': "filter: Status != 'Completed'\nfilter: Subject != null\n" },
    input: { call: (f) => createFromFile(f.file('dup.yaml')) },
    expect: { kind: 'configuration', what: /Map keys must be unique/, where: /dup\.yaml: not valid YAML at line 2, column 1/, fix: /fix: correct the file/ },
  },
  {
    id: 'file-08', entryPoint: 'job file (job create --file)', title: 'tabs as indentation',
    files: { 'tabs.yaml': 'mapping:\n\t- crmField: Id\n' },
    input: { call: (f) => createFromFile(f.file('tabs.yaml')) },
    expect: { kind: 'configuration', what: /Tabs are not allowed as indentation/, where: /tabs\.yaml: not valid YAML at line 2, column 1/, fix: /fix: correct the file/ },
  },
  {
    id: 'file-09', entryPoint: 'job file (job create --file)', title: 'a UTF-16 file (with its BOM)',
    files: { 'utf16.yaml': Buffer.from(`\ufefffilter: "Subject != null"\n`, 'utf16le') },
    input: { call: (f) => createFromFile(f.file('utf16.yaml')) },
    expect: { kind: 'configuration', what: /is UTF-16 text/, where: /--file \S*utf16\.yaml/, fix: /fix: save the file as UTF-8/ },
  },
  {
    id: 'file-10', entryPoint: 'job file (job create --file)', title: 'a UTF-8 BOM before JSON of the wrong shape (the BOM is read past, the shape refused)',
    files: { 'bom.json': `\ufeff{ "crmObject": ["Task"] }` },
    input: { call: (f) => createFromFile(f.file('bom.json')) },
    expect: { kind: 'configuration', what: /expected string/, where: /crmObject:/, fix: JOB_FIX },
  },
  {
    id: 'file-11', entryPoint: 'job file (job create --file)', title: 'a raw NUL byte in the file',
    files: { 'nul.yaml': Buffer.from("crmObject: Task\nfilter: Subject != 'a\u0000b'\n") },
    input: { call: (f) => createFromFile(f.file('nul.yaml')) },
    expect: { kind: 'configuration', what: /control character U\+0000/, where: /nul\.yaml: line 2, column 22/, fix: /fix: remove it/ },
  },
  {
    id: 'file-12', entryPoint: 'job file (job create --file)', title: 'a NUL written as a YAML escape inside the filter',
    files: { 'nul-escape.yaml': "filter: \"Subject = 'a\\0b'\"\n" },
    input: { call: (f) => createFromFile(f.file('nul-escape.yaml')) },
    expect: { kind: 'configuration', what: /control character U\+0000 at position 13/, where: /filter:/, fix: /remove it/ }, crm: true,
  },
  {
    id: 'file-13', entryPoint: 'job file (job create --file)', title: 'a 1 MB CRM field name',
    files: { 'mb.yaml': `mapping:\n  - { crmField: AccountId, hubField: Account Id, hubFieldType: text, key: true }\n  - { crmField: Id, hubField: Task External Id, hubFieldType: text, key: true }\n  - { crmField: ${MB}, hubField: Title, hubFieldType: text }\n` },
    input: { call: (f) => createFromFile(f.file('mb.yaml')) },
    expect: { kind: 'configuration', what: /too long: at most 255 characters/, where: /mapping → row 3 → crmField:/, fix: JOB_FIX }, crm: true,
  },
  {
    id: 'file-14', entryPoint: 'job file (job create --file)', title: 'a YAML list instead of settings',
    files: { 'list.yaml': '- crmObject: Task\n- filter: x\n' },
    input: { call: (f) => createFromFile(f.file('list.yaml')) },
    expect: { kind: 'configuration', what: /expected an object of settings, got a list/, where: /--file \S*list\.yaml/, fix: /fix: write the settings as key: value lines/ },
  },

  // --------------------------------------------------------------------- job configuration and mappings
  {
    id: 'map-01', entryPoint: 'mapping (createValidatedJob)', title: 'an unknown hub field with an unknown type',
    input: { call: () => create(cfg({ mapping: [...rows(), row('Subject', 'Secret Sauce', 'blob')] })) },
    expect: { kind: 'configuration', what: /'Secret Sauce' is not a task field and 'blob' is not a hub type/, where: /row 12 \(Subject → Secret Sauce\)/, fix: /fix: use one of: Account Id, Task External Id, Title/ }, crm: true,
  },
  {
    id: 'map-02', entryPoint: 'mapping (createValidatedJob)', title: 'an unknown CRM field',
    input: { call: () => create(cfg({ mapping: [...rows(), row('Nope__c', 'Nope', 'text')] })) },
    expect: { kind: 'configuration', what: /Task has no field 'Nope__c'/, where: /row 12 \(Nope__c → Nope\)/, fix: /fix: pick a field of Task/ }, crm: true,
  },
  {
    id: 'map-03', entryPoint: 'mapping (createValidatedJob)', title: 'a reference two levels deep',
    input: { call: () => create(cfg({ mapping: [...rows(), row('Owner.Manager.Email', 'Manager', 'text')] })) },
    expect: { kind: 'configuration', what: /goes through 2 relationships; only first-level references/, where: /row 12 \(Owner\.Manager\.Email → Manager\)/, fix: /fix: map a field of Task or of a directly referenced record, e\.g\. Owner\.Email/ }, crm: true,
  },
  {
    id: 'map-04', entryPoint: 'mapping (createValidatedJob)', title: 'two rows filling the same hub field (duplicate target)',
    input: { call: () => create(cfg({ mapping: [...rows(), row('Description', 'Title', 'text')] })) },
    expect: { kind: 'configuration', what: /'Title' is already filled by row 3; inbound, a hub field takes one source/, where: /row 12 \(Description → Title\)/, fix: /fix: remove row 12 or row 3/ }, crm: true,
  },
  {
    id: 'map-05', entryPoint: 'mapping (createValidatedJob)', title: 'an extra key in a row',
    input: { call: () => create(cfg({ mapping: [...rows(), { ...row('Subject', 'Other'), soql: 'DELETE FROM Task' }] })) },
    expect: { kind: 'configuration', what: /unknown setting 'soql'/, where: /mapping → row 12:/, fix: JOB_FIX },
  },
  {
    id: 'map-06', entryPoint: 'mapping (createValidatedJob)', title: 'an object name carrying a SOQL clause',
    input: { call: () => create(cfg({ crmObject: 'Task WHERE Id != null' })) },
    expect: { kind: 'configuration', what: /crmObject must be an API name such as Task/, where: /crmObject:/, fix: JOB_FIX },
  },
  {
    id: 'map-07', entryPoint: 'mapping (createValidatedJob)', title: 'SOQL in a CRM field name',
    input: { call: () => create(cfg({ mapping: [...rows(), row('Subject FROM Account --', 'Other', 'text')] })) },
    expect: { kind: 'configuration', what: /Task has no field 'Subject FROM Account --'/, where: /row 12/, fix: /fix: pick a field of Task/ }, crm: true,
  },
  {
    id: 'map-08', entryPoint: 'mapping (createValidatedJob)', title: 'outbound writing Created By (T21)',
    input: { call: () => create(cfg({ mapping: [...rows('tasks-outbound'), row('CreatedById', 'Assigner', 'user')] }, 'tasks-outbound')) },
    expect: { kind: 'configuration', what: /the CRM sets CreatedById itself; it cannot be written \(T21\)/, where: /row 9 \(Assigner → CreatedById\)/, fix: /fix: remove row 9/ }, crm: true,
  },
  {
    id: 'map-09', entryPoint: 'mapping (createValidatedJob)', title: 'no external-ID key row (T13)',
    input: { call: () => create(cfg({ mapping: rows().filter((r) => r.crmField !== 'Id') })) },
    expect: { kind: 'configuration', what: /the mapping has no key row for 'Task External Id'/, where: /key row/, fix: /fix: add a row \{ crmField: 'Id', hubField: 'Task External Id'/ }, crm: true,
  },
  {
    id: 'map-10', entryPoint: 'mapping (createValidatedJob)', title: 'a control character in a hub field label',
    input: { call: () => create(cfg({ mapping: [...rows(), row('Type', 'Kind\u001b[31m', 'text')] })) },
    expect: { kind: 'configuration', what: /control character U\+001B at position 5/, where: /mapping → row 12 → hubField:/, fix: /remove it/ },
  },
  {
    id: 'map-11', entryPoint: 'mapping (createValidatedJob)', title: 'a 1 MB attribute label on an accounts job',
    input: { call: () => create(cfg({ mapping: [...rows('accounts-inbound'), row('Name', `HI ${MB}`, 'text')] }, 'accounts-inbound')) },
    expect: { kind: 'configuration', what: /too long: at most 255 characters/, where: /mapping → row 11 → hubField:/, fix: JOB_FIX },
  },
  {
    id: 'map-12', entryPoint: 'mapping (createValidatedJob)', title: 'matchAccountsBy naming no row',
    input: { call: () => create(cfg({ matchAccountsBy: 'HI Nothing' }, 'accounts-inbound')) },
    expect: { kind: 'configuration', what: /matchAccountsBy names 'HI Nothing', which no \(non-key\) mapping row fills/, where: /matchAccountsBy:/, fix: /name the hubField of a row/ },
  },
  {
    id: 'map-13', entryPoint: 'mapping (editValidatedJob)', title: 'removing a row that does not exist',
    input: { call: () => edit(TASKS, { removeRows: [99] }) },
    expect: { kind: 'configuration', what: /no mapping row 99/, where: /Job 'hi-sf-tasks'/, fix: /the mapping has 11 rows; see `hubsync job show hi-sf-tasks`/ },
  },
  {
    id: 'map-14', entryPoint: 'mapping (editValidatedJob)', title: 'an edit with a setting of the wrong type',
    input: { call: () => edit(TASKS_OUT, { updateWindowDays: '30', allowCreate: 'yes' }) },
    expect: { kind: 'configuration', what: /expected boolean[\s\S]*expected number|expected number[\s\S]*expected boolean/, where: /updateWindowDays:[\s\S]*allowCreate:|allowCreate:[\s\S]*updateWindowDays:/, fix: /fix: an edit takes crmObject, parentObject, mapping/ },
  },
  {
    id: 'map-15', entryPoint: 'job configuration (createValidatedJob)', title: 'a filter on an outbound job',
    input: { call: () => create(cfg({ filter: "Status = 'Open'" }, 'tasks-outbound')) },
    expect: { kind: 'configuration', what: /filter applies to inbound jobs only/, where: /filter:/, fix: /remove it from this tasks-outbound job/ },
  },
  {
    id: 'job-01', entryPoint: 'job create (createValidatedJob)', title: 'a job ID with spaces, capitals and a semicolon',
    input: { call: () => create(cfg({}), 'HI DRAFT;') },
    expect: { kind: 'configuration', what: /Invalid job ID 'HI DRAFT;'/, where: /job ID/, fix: /fix: use 1 to 63 lowercase letters, digits and dashes/ }, crm: true,
  },
  {
    id: 'map-16', entryPoint: 'job configuration (createValidatedJob)', title: 'a job on a connection named like a record of another',
    input: { call: (f) => create(cfg({}), DRAFT, `${C}:${f.acc1}`) },
    expect: { kind: 'not-found', what: /Unknown connection 'hi-sf:001/, where: /Job 'hi-draft'/, fix: /Add one with `hubsync connection add`/ },
  },

  // ------------------------------------------------------------------------------------- filters (T8)
  ...(
    [
      ['filter-01', "`'; DELETE` after an empty string", "Subject = ''; DELETE FROM Task", /';' at position 13: a filter is one condition, not a statement/],
      ['filter-02', 'a sub-query', 'Id IN (SELECT WhatId FROM Event)', /SELECT is not allowed in a filter/],
      ['filter-03', 'an unbalanced quote', "Subject = 'x", /unterminated string literal/],
      ['filter-04', 'a -- comment', "Subject = 'x' -- AND Status = 'Open'", /'--' at position 15: SOQL has no comments/],
      ['filter-05', 'a /* */ comment', "Subject = 'x' /* */ OR Id != null", /'\/\*' at position 15: SOQL has no comments/],
      ['filter-06', 'LIMIT in the filter', "Subject = 'x' LIMIT 1", /LIMIT is not allowed in a filter/],
      ['filter-07', 'ORDER BY in the filter', "Subject = 'x' ORDER BY Id", /ORDER BY is not allowed in a filter/],
      ['filter-08', 'a relationship of another object', 'Opportunity.Amount > 0', /Task has no field 'Opportunity\.Amount'/],
      ['filter-09', 'unbalanced parentheses', "((Subject = 'x')", /1 unclosed '\('/],
      ['filter-12', "`Name = 'x' OR Id != null`: a field Task does not have", "Name = 'x' OR Id != null", /Task has no field 'Name'/],
    ] as const
  ).map(([id, title, filter, what]): HostileCase => ({
    id, entryPoint: 'filter (job edit --filter)', title,
    input: { call: () => edit(TASKS, { filter }) },
    expect: { kind: 'configuration', what, where: /Job 'hi-sf-tasks' does not validate[\s\S]*filter:/, fix: /fix: (write one SOQL condition|write the part after WHERE only|use fields of Task)/ }, crm: true,
  })),
  {
    id: 'filter-10', entryPoint: 'filter (job edit --filter)', title: 'a 5,000-character filter',
    input: { call: () => edit(TASKS, { filter: `Subject = '${'x'.repeat(5000)}'` }) },
    expect: { kind: 'configuration', what: /too long: at most 4000 characters/, where: /filter:/, fix: JOB_FIX },
  },
  {
    id: 'filter-11', entryPoint: 'filter (job edit --filter)', title: 'a NUL inside a string literal',
    input: { call: () => edit(TASKS, { filter: "Subject = 'a\u0000b'" }) },
    expect: { kind: 'configuration', what: /control character U\+0000 at position 13/, where: /filter:/, fix: /remove it/ }, crm: true,
  },

  // ----------------------------------------------------------------------- write-back through the typed client
  ...(
    [
      ['wb-01', 'a word for a number', { hi_health_score: 'lots' }, /not 'lots'/, /hi_health_score on 'hi-sf': Health_Score__c/, /takes a number/],
      ['wb-02', 'a boolean for a number (type confusion)', { hi_health_score: true }, /not 'true'/, /hi_health_score on 'hi-sf': Health_Score__c/, /takes a number/],
      ['wb-03', 'a value outside a restricted picklist', { hi_tier: "Tier 1' OR Name != '" }, /'Tier 1' OR Name != '' is not a value of the restricted picklist/, /hi_tier on 'hi-sf': .*Tier__c/, /allowed: Tier 1, Tier 2, Tier 3/],
      ['wb-04', 'a list for a single value', { hi_tier: ['Tier 1', 'Tier 2'] }, /not a list of 2/, /hi_tier on 'hi-sf': Tier__c/, /takes one value/],
      ['wb-05', 'SOQL in a multi-select value', { hi_products: ['Analytics', "x'; DELETE FROM Account; --"] }, /'x'; DELETE FROM Account; --' is not a value of the restricted picklist/, /hi_products on 'hi-sf': .*Products__c/, /allowed: Analytics, Automation, Engage/],
      ['wb-06', 'a 40,000-character text', { hi_account_notes: 'n'.repeat(40000) }, /the value has 40000/, /hi_account_notes on 'hi-sf': Description/, /takes at most 32000 characters/],
      ['wb-07', 'a NUL in a text', { hi_account_notes: 'before\u0000after' }, /control character U\+0000 at position 7/, /hi_account_notes:/, /remove it/],
      ['wb-08', 'a lone surrogate (not Unicode: a broken encoding)', { hi_account_notes: 'caf\ud800' }, /lone UTF-16 surrogate \(U\+D800\) at position 4/, /hi_account_notes:/, /check the encoding/],
      ['wb-09', 'SOQL quotes in an email', { hi_csm_email: "x' OR Id != null OR Email = '" }, /not 'x' OR Id != null OR Email = ''/, /hi_csm_email on 'hi-sf': CSM_Email__c/, /takes an email address/],
      ['wb-10', 'an object as a value (type confusion)', { hi_tier: { $ne: null } }, /not \{"\$ne":null\}/, /hi_tier:/, /a value is text, a number, true\/false, null or a list of texts/],
      ['wb-11', 'an attribute that does not exist', { "hi_tier'; --": 'Tier 1' }, /no such attribute/, /hi_tier'; --:/, /see `hubsync attribute list`/],
      ['wb-12', 'an attribute whose write-back is off', { hi_success_manager_name: 'Eve' }, /write-back is off for this attribute/, /hi_success_manager_name:/, /switch it on with `hubsync attribute write-back hi_success_manager_name on`/],
    ] as const
  ).map(([id, title, changes, what, where, fix]): HostileCase => ({
    id, entryPoint: 'write-back (HubsyncClient.writeBack)', title,
    input: { call: (f) => wb(f, { changes: changes as WriteBackRequest['changes'] }) },
    expect: { kind: 'configuration', what, where, fix }, crm: true,
  })),
  ...(
    [
      ['wb-13', "the account ID of another connection", (f: Fixture) => ({ account: `${OTHER}:${f.acc1}` }), /no hub account is linked to 001\w+ on connection 'hi-other'/, /account 'hi-other:001/, /check both; run its accounts-inbound job/],
      ['wb-14', 'a CRM ID without its connection', (f: Fixture) => ({ account: f.acc1 }), /account '001\w+'/, /account '001/, /use a hub ID \(42\) or connection:crmId/],
      ['wb-15', 'SOQL injection in the account', () => ({ account: `${C}:001' OR Id != null --` }), /no hub account is linked to 001' OR Id != null --/, /connection 'hi-sf'/, /check both/],
      ['wb-16', 'several accounts at once (W9)', (f: Fixture) => ({ account: [f.h1, f.h2] }), /write-back takes one account per request; bulk write-back .* is not supported \(W9\)/, /account:/, /Send one request per account/],
      ['wb-17', 'a bulk origin (W9)', () => ({ origin: 'segment-bulk-update' }), /write-back is not supported for bulk updates/, /origin 'segment-bulk-update'/, /use one of account-profile, segment-inline/],
      ['wb-18', 'no changes', () => ({ changes: {} }), /give at least one attribute and its new value/, /changes:/, /key=value/],
      ['wb-19', '51 attributes in one request', () => ({ changes: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`hi_a${i}`, 'x'])) }), /at most 50 attributes per request, not 51/, /changes:/, /at most 50/],
      ['wb-20', 'an actor with a newline', () => ({ actor: 'csm@hub.example\nX-Forged: yes' }), /no control characters/, /actor:/, /say who made the change/],
      ['wb-21', 'a 300-character request ID', () => ({ requestId: 'r'.repeat(300) }), /1-200 characters/, /requestId:/, /letters, digits and \. _ : @ \/ -/],
      ['wb-22', 'force as a string (type confusion)', () => ({ force: 'yes' }), /force: true or false/, /force:/, /true or false/],
      ['wb-23', 'a fractional account number', () => ({ account: 1.5 }), /name one hub account/, /account:/, /by its hub ID \(42\) or as connection:crmId/],
    ] as const
  ).map(([id, title, extra, what, where, fix]): HostileCase => ({
    id, entryPoint: 'write-back (HubsyncClient.writeBack)', title,
    input: { call: (f) => wb(f, extra(f) as Partial<WriteBackRequest>) },
    expect: { kind: 'configuration', what, where, fix }, crm: true,
  })),

  // ---------------------------------------------------------------- the write-back switch and account links
  {
    id: 'switch-01', entryPoint: 'attribute write-back (HubsyncClient.setAttributeWriteBack)', title: 'a reference mode that does not exist',
    input: { call: (f) => f.hubsync.setAttributeWriteBack('hi_success_manager_phone', { on: true, referenceMode: 'sideways' as never }) },
    expect: { kind: 'configuration', what: /reference mode 'sideways'/, where: /hi_success_manager_phone/, fix: /fix: use repoint .* or edit-referenced/ }, crm: true,
  },
  {
    id: 'switch-02', entryPoint: 'attribute write-back (HubsyncClient.setAttributeWriteBack)', title: 'an attribute key carrying SQL',
    input: { call: (f) => f.hubsync.setAttributeWriteBack("hi_tier' OR '1'='1", { on: true }) },
    expect: { kind: 'not-found', what: /No attribute 'hi_tier' OR '1'='1'/, where: /Known attributes: .*hi_tier/, fix: /see `hubsync attribute list`/ }, crm: true,
  },
  {
    id: 'switch-03', entryPoint: 'attribute write-back (HubsyncClient.setAttributeWriteBack)', title: 'a source on another connection',
    input: { call: (f) => f.hubsync.setAttributeWriteBack('hi_success_manager_phone', { on: true, connection: OTHER }) },
    expect: { kind: 'configuration', what: /has no source on connection 'hi-other'/, where: /Attribute 'hi_success_manager_phone'/, fix: /name one of those with --connection/ }, crm: true,
  },
  {
    id: 'switch-04', entryPoint: 'attribute write-back (HubsyncClient.setAttributeWriteBack)', title: 'a reference mode for a plain field',
    input: { call: (f) => f.hubsync.setAttributeWriteBack('hi_tier', { on: true, referenceMode: 'repoint' }) },
    expect: { kind: 'configuration', what: /--reference-mode applies to reference fields such as Owner\.Email/, where: /'hi_tier' on 'hi-sf' is the plain field Account\.Tier__c/, fix: /leave --reference-mode out/ }, crm: true,
  },
  {
    id: 'link-01', entryPoint: 'account link (HubsyncClient.linkAccount)', title: "another account's record, without --move",
    input: { call: (f) => f.hubsync.linkAccount({ account: f.h1, connectionId: C, crmId: f.acc2 }) },
    expect: { kind: 'conflict', what: /is already hi-sf:001\w+; an account has one record per connection|is hub account \d+'s already/, where: /Hub account \d+|hi-sf:001/, fix: /--move/ }, crm: true,
  },
  {
    id: 'link-02', entryPoint: 'account link (HubsyncClient.linkAccount)', title: 'a CRM ID carrying SOQL',
    input: { call: (f) => f.hubsync.linkAccount({ account: f.h1, connectionId: C, crmId: "001' OR Name != null OR Id = '" }) },
    expect: { kind: 'configuration', what: /is not a CRM record ID/, where: /'001' OR Name != null OR Id = ''/, fix: /check the record ID in the CRM/ }, crm: true,
  },
  {
    id: 'link-03', entryPoint: 'account link (HubsyncClient.linkAccount)', title: 'a 100,000-character CRM ID',
    input: { call: (f) => f.hubsync.linkAccount({ account: f.h1, connectionId: C, crmId: 'a'.repeat(100000) }) },
    expect: { kind: 'configuration', what: /is not a CRM record ID/, where: /aaaa/, fix: /check the record ID in the CRM/ }, crm: true,
  },
  {
    id: 'link-04', entryPoint: 'account link (HubsyncClient.linkAccount)', title: 'a hub account written as another connection’s record',
    input: { call: (f) => f.hubsync.linkAccount({ account: `${OTHER}:${f.acc1}`, connectionId: C, crmId: f.acc1 }) },
    expect: { kind: 'not-found', what: /no hub account is linked to 001\w+ on connection 'hi-other'/, where: /account 'hi-other:001/, fix: /check both|see the account IDs with `hubsync account show <id>`/ }, crm: true,
  },

  // ----------------------------------------------------------------------------------------- hub records
  {
    id: 'hub-01', entryPoint: 'hub records (HubsyncClient.createHubRecord)', title: 'a 1 MB task title',
    input: { call: (f) => f.hubsync.createHubRecord('task', { accountId: f.h1, title: MB }) },
    expect: { kind: 'configuration', what: /too long: at most 255 characters/, where: /- title:/, fix: /fix: / },
  },
  {
    id: 'hub-02', entryPoint: 'hub records (HubsyncClient.createHubRecord)', title: 'a NUL in a task description',
    input: { call: (f) => f.hubsync.createHubRecord('task', { accountId: f.h1, title: 'Call', description: 'a\u0000b' }) },
    expect: { kind: 'configuration', what: /control character U\+0000 at position 2/, where: /- description:/, fix: /remove it/ },
  },
  {
    id: 'hub-03', entryPoint: 'hub records (HubsyncClient.createHubRecord)', title: 'the account as a string, and another connection’s record ID',
    input: { call: (f) => f.hubsync.createHubRecord('task', { accountId: `${C}:${f.acc1}` as unknown as number, title: 'Call' }) },
    expect: { kind: 'configuration', what: /"hi-sf:001\w+" is not a hub ID/, where: /- accountId:/, fix: /fix: give the hub ID of the account the record belongs to/ },
  },
  {
    id: 'hub-04', entryPoint: 'hub records (HubsyncClient.createHubRecord)', title: 'an external ID set by the caller (T13)',
    input: { call: (f) => f.hubsync.createHubRecord('task', { accountId: f.h1, title: 'Call', externalId: '00t000000000001aaa' } as never) },
    expect: { kind: 'configuration', what: /set by hubsync alone/, where: /- externalId:/, fix: /fix: remove it/ },
  },
  {
    id: 'hub-05', entryPoint: 'hub records (HubsyncClient.createHubRecord)', title: 'a touchpoint without subject or content, a participant twice (T20, T23)',
    input: { call: (f) => f.hubsync.createHubRecord('touchpoint', { accountId: f.h1, subject: '  ', participants: [{ email: 'Bob@Client.example' }, { email: 'bob@client.example' }, { email: 'not-an-email' }] }) },
    expect: { kind: 'configuration', what: /a touchpoint needs a subject or content \(T20\)[\s\S]*is listed twice/, where: /- subject, content:[\s\S]*participants\[1\]\.email|participants\[2\]\.email/, fix: /fix: give at least one of them[\s\S]*fix: list each participant once/ },
  },
  {
    id: 'hub-06', entryPoint: 'hub records (HubsyncClient.createHubRecord)', title: 'a campaign touch of negative recipients, an unknown kind, a string count',
    input: { call: (f) => f.hubsync.createHubRecord('campaign_touch', { accountId: f.h1, campaignName: 'Winter', campaignKind: 'weekly' as never, recipientCount: -1, senderEmail: 'news@acme.example', startDate: '2026-12-10' }) },
    expect: { kind: 'configuration', what: /"weekly" is not one of ongoing, one_time[\s\S]*-1 is not a whole number, 0 or more/, where: /- campaignKind:[\s\S]*- recipientCount:/, fix: /fix: use ongoing[\s\S]*fix: give a whole number such as 250/ },
  },
  {
    id: 'hub-07', entryPoint: 'hub records (HubsyncClient.updateHubRecord)', title: 'moving a task to another account',
    input: { call: (f) => f.hubsync.updateHubRecord('task', f.taskId, { accountId: f.h2 } as never) },
    expect: { kind: 'configuration', what: /a record stays on the account it was created on/, where: /- accountId:/, fix: /fix: create the record on the other account and delete this one/ },
  },
  {
    id: 'hub-08', entryPoint: 'hub records (HubsyncClient.updateHubRecord)', title: 'a 40,000-character description and a lone surrogate in the status',
    input: { call: (f) => f.hubsync.updateHubRecord('task', f.taskId, { description: 'd'.repeat(40000), status: 'Done\udc00' }) },
    expect: { kind: 'configuration', what: /too long: at most 32000 characters[\s\S]*lone UTF-16 surrogate/, where: /- description:[\s\S]*- status:/, fix: /fix: give a text of at most 32000 characters[\s\S]*fix: give plain text/ },
  },
  {
    id: 'hub-09', entryPoint: 'hub records (HubsyncClient.createHubRecord)', title: 'an entity that does not exist',
    input: { call: (f) => f.hubsync.createHubRecord('lead' as never, { accountId: f.h1 } as never) },
    expect: { kind: 'configuration', what: /Unknown hub entity 'lead'/, where: /hub entity/, fix: /fix: use one of task, touchpoint, campaign_touch/ },
  },

  // ---------------------------------------------------------------------------------- connection settings
  ...(
    [
      ['conn-01', 'an ID with ../ in it', { id: 'hi/../etc' }, /- id: use lowercase letters, digits and dashes/],
      ['conn-02', 'a 100-character ID', { id: `hi-${'x'.repeat(97)}` }, /- id: use lowercase letters, digits and dashes/],
      ['conn-03', 'an ID in Unicode', { id: 'hi-ünïcødé' }, /- id: use lowercase letters, digits and dashes/],
      ['conn-04', 'a file: base URL', { baseUrl: 'file:///etc/passwd' }, /- baseUrl: baseUrl must be the org URL/],
      ['conn-05', 'a javascript: login URL', { loginUrl: 'javascript:alert(document.cookie)' }, /- loginUrl: /],
      ['conn-06', 'a base URL that is no URL', { baseUrl: 'acme salesforce' }, /- baseUrl: baseUrl must be the org URL/],
      ['conn-07', 'a number as the base URL (type confusion)', { baseUrl: 443 }, /- baseUrl: /],
      ['conn-08', 'an unknown kind', { kind: 'oracle' }, /- kind: /],
      ['conn-09', 'an unknown setting', { privateKey: '-----BEGIN' }, /- connection: unknown setting 'privateKey'/],
      ['conn-10', 'a secret with a newline', { clientSecret: 'line1\nline2' }, /- clientSecret: contains the control character U\+000A/],
      ['conn-11', 'a NUL in the refresh token', { refreshToken: 'abc\u0000' }, /- refreshToken: contains the control character U\+0000/],
      ['conn-12', 'a 1 MB client ID', { clientId: MB }, /- clientId: too long: at most \d+ characters/],
      ['conn-13', 'a HubSpot search rate as a string', { kind: 'hubspot', baseUrl: undefined, clientId: undefined, refreshToken: undefined, accessToken: 'pat', searchPerSecond: '5' }, /- searchPerSecond: expected number/],
      ['conn-14', 'a Dataverse token URL with a javascript: scheme', { kind: 'dynamics', refreshToken: undefined, tenantId: 't', clientSecret: 's', tokenUrl: 'javascript:fetch(1)' }, /- tokenUrl: tokenUrl must be an http\(s\) URL/],
    ] as const
  ).map(([id, title, input, where]): HostileCase => ({
    id, entryPoint: 'connection add (addConnection, with the check)', title,
    input: { call: () => add(Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Record<string, unknown>) },
    expect: { kind: 'configuration', what: /Invalid connection; nothing was saved/, where, fix: /fix: correct the settings named above|remove it/ }, crm: true,
  })),
  {
    id: 'conn-15', entryPoint: 'connection update (updateConnection)', title: 'changing the kind of a connection',
    input: { call: () => updateConnection(pool, testSecretBox, C, { kind: 'hubspot' }, { check: checkConnection }) },
    expect: { kind: 'configuration', what: /kind of a connection cannot change/, where: /Connection 'hi-sf'/, fix: /add a new connection/ }, crm: true,
  },
  {
    id: 'conn-16', entryPoint: 'connection update (updateConnection)', title: 'an ftp: URL for an existing connection',
    input: { call: () => updateConnection(pool, testSecretBox, C, { baseUrl: 'ftp://acme.example' }, { check: checkConnection }) },
    expect: { kind: 'configuration', what: /Invalid connection; nothing was saved/, where: /- baseUrl:/, fix: /fix: correct the settings named above/ }, crm: true,
  },
  {
    id: 'conn-17', entryPoint: 'connection update (updateConnection)', title: 'a connection ID that is a path',
    input: { call: () => updateConnection(pool, testSecretBox, '../hi-sf', { clientId: 'x' }, { check: checkConnection }) },
    expect: { kind: 'not-found', what: /Unknown connection '\.\.\/hi-sf'/, where: /Known: .*hi-sf/, fix: /Add one with `hubsync connection add`/ },
  },

  // ------------------------------------------------------------------------------------------ schedules (P2)
  ...(
    [
      ['sched-01', 'every 0 minutes', { every: '0m' }, /--every 0m is out of range/, /fix: give an interval from 1m to 366d/],
      ['sched-02', 'every 10 years', { every: '3650d' }, /--every 3650d is out of range/, /fix: give an interval from 1m to 366d/],
      ['sched-03', 'a cron of three fields', { cron: '* * *' }, /--cron "\* \* \*" has 3 field\(s\), not 5/, /fix: write five fields/],
      ['sched-04', 'a cron range that runs backwards', { cron: '0 9-5 * * *' }, /the hour range '9-5' runs backwards/, /fix: write five fields/],
      ['sched-05', 'a cron with a shell command', { cron: '0 * * * * rm -rf /' }, /has 8 field\(s\), not 5/, /fix: write five fields/],
    ] as const
  ).map(([id, title, schedule, what, fix]): HostileCase => ({
    id, entryPoint: 'job enable (HubsyncClient.enableJob)', title,
    input: { call: (f) => f.hubsync.enableJob(TASKS, { schedule, run: false }) },
    expect: { kind: 'configuration', what, where: /--(every|cron)/, fix }, schedules: true, crm: true,
  })),
  {
    id: 'sched-07', entryPoint: 'job schedule (HubsyncClient.schedule)', title: 'shell injection in a duration',
    input: { call: (f) => f.hubsync.schedule(TASKS, { every: '1m; rm -rf /' }) },
    expect: { kind: 'configuration', what: /not '1m; rm -rf \/'/, where: /--every/, fix: /write a whole number followed by s, m, h or d/ }, schedules: true,
  },
  {
    id: 'sched-06', entryPoint: 'job schedule (HubsyncClient.schedule)', title: 'scheduling a job of another connection’s name',
    input: { call: (f) => f.hubsync.schedule(`${OTHER}-tasks`, { every: '15m' }) },
    expect: { kind: 'not-found', what: /Unknown job 'hi-other-tasks'/, where: /job 'hi-other-tasks'/, fix: /Known jobs: .*hi-sf-tasks/ }, schedules: true,
  },

  // ------------------------------------------------------------------------------------ sandbox admin APIs
  ...(
    [
      ['admin-01', 'salesforce', 'POST', '/__admin/seed', '{"object": "Task", "count": ', 400, /JSON_PARSER_ERROR/, /Unexpected|JSON/],
      ['admin-02', 'salesforce', 'POST', '/__admin/seed', '{"object": "Task", "count": "10"}', 400, /invalid request body/, /"path":\["count"\]/],
      ['admin-03', 'salesforce', 'POST', '/__admin/seed', '{"object": "NoSuchTable__c", "count": 1}', 404, /no object NoSuchTable__c in this org/, /NoSuchTable__c/],
      ['admin-13', 'salesforce', 'POST', '/__admin/schema/fields', '{"object": "Nope__c", "name": "X__c", "type": "text"}', 404, /no object Nope__c in this org/, /Nope__c/],
      ['admin-04', 'salesforce', 'POST', '/__admin/seed', '{"object": "Task", "count": 1000000000000}', 400, /invalid request body/, /"path":\["count"\]/],
      ['admin-05', 'salesforce', 'POST', '/__admin/schema/fields', '{"object": "Account", "name": "Evil__c", "type": "blob"}', 400, /invalid request body/, /"path":\["type"\]/],
      ['admin-06', 'salesforce', 'POST', '/__admin/clock', '{"now": "yesterday"}', 400, /now is not a date: yesterday/, /now/],
      ['admin-07', 'salesforce', 'POST', '/__admin/faults', '{"kind": "http", "status": 999}', 400, /invalid request body/, /"path":\["status"\]/],
      ['admin-08', 'dynamics', 'POST', '/__admin/generate', '{"table": "nosuchtable", "count": 1}', 404, /no table nosuchtable/, /nosuchtable/],
      ['admin-09', 'dynamics', 'POST', '/__admin/generate', '{"count": 10000000}', 400, /invalid request body/, /"path":\["count"\]/],
      ['admin-10', 'dynamics', 'POST', '/__admin/rows/account', '{"values": {"name": {"$gt": ""}}}', 400, /invalid request body/, /"path":\["values","name"\]/],
      ['admin-11', 'dynamics', 'POST', '/__admin/rows/account', '{"values": ', 400, /invalid JSON/, /JSON/],
      ['admin-12', 'dynamics', 'POST', '/__admin/rows/account', '{"values": {"evil": "x"}}', 400, /account has no property evil/, /evil/],
    ] as const
  ).map(([id, admin, method, p, body, status, what, where]): HostileCase => ({
    id, entryPoint: `${admin} sandbox admin ${method} ${p}`, title: body.length > 60 ? `${body.slice(0, 57)}...` : body,
    input: { admin, method, path: p, body },
    // A sandbox is a test tool: a clear 4xx naming what and where is enough, it owes no fix.
    expect: { status, what, where, fix: /./ },
  })),
];

describe('hostile input (issue 14 §2)', () => {
  let sf: SalesforceFixture;
  let dv: DynamicsSandboxHandle;
  let temporalConnection: Connection;
  let hubsync: HubsyncClient;
  let stopWorker: () => Promise<void>;
  let dir: string;
  let fx: Fixture;
  pool = testPool();

  /** Non-read requests the Salesforce sandbox logged (token requests aside): writes. */
  const sfWrites = async () => (await loggedRequests(sf.admin, '', '*')).filter((r) => r.method !== 'GET' && r.method !== 'HEAD' && !r.path.startsWith('/services/oauth2/'));
  /** The file's job schedules as Temporal has them. */
  const schedules = async () => {
    const ids = new Set<string>();
    for await (const s of hubsync.temporal.schedule.list()) if (s.scheduleId.startsWith('hubsync-schedule-hi-')) ids.add(s.scheduleId);
    const jobs = (await pool.query<{ id: string }>(`SELECT id FROM integration_jobs WHERE lower(id) LIKE 'hi%' ORDER BY id`)).rows.map((r) => r.id);
    for (const job of jobs) ids.add(`hubsync-schedule-${job}`);
    const described = await Promise.all(
      [...ids].sort().map(async (id) => {
        const d = await hubsync.describeSchedule(id.slice('hubsync-schedule-'.length));
        return d && { id, spec: d.spec, paused: d.state.paused, note: d.state.note, action: d.action };
      }),
    );
    return described.filter(Boolean);
  };
  const adminState = async (which: 'salesforce' | 'dynamics') => {
    const url = which === 'salesforce' ? sf.sandbox.url : dv.url;
    const health = (await (await fetch(new URL('/__admin/health', url))).json()) as { records?: unknown; rows?: unknown; clock?: unknown };
    const faults = await (await fetch(new URL('/__admin/faults', url))).json();
    return { records: health.records ?? health.rows, faults };
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubsync-hostile-'));
    for (const c of CASES) for (const [name, content] of Object.entries(c.files ?? {})) fs.writeFileSync(path.join(dir, name), content);
    const env = { databaseUrl: testStack.databaseUrl, temporalAddress: testStack.temporalAddress };
    [sf, dv] = await Promise.all([startSalesforceFixture(pool, C, env), startDynamicsSandbox({ port: 0, seed: 'demo' })]);
    const creds = sf.sandbox.credentials;
    await addConnection(pool, testSecretBox, { id: OTHER, kind: 'salesforce', baseUrl: sf.sandbox.url, clientId: creds.clientId, clientSecret: creds.clientSecret, refreshToken: creds.refreshToken });
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    hubsync = HubsyncClient.over(new Client({ connection: temporalConnection }), pool, { taskQueue: fileTaskQueue(), secretBox: () => testSecretBox });
    stopWorker = (await startFileWorker(pool)).stop;
    await importAccounts(pool, hubsync, C, prefixedAccountsConfig('HI'));
    // Write-back on for plain attributes only: the one account assignment with write-back on belongs to writeback.test.ts (W2).
    for (const key of ['hi_tier', 'hi_products', 'hi_health_score', 'hi_account_notes', 'hi_csm_email']) await hubsync.setAttributeWriteBack(key, { on: true });
    await createValidatedJob(pool, testSecretBox, { id: TASKS, connectionId: C, config: configFromTemplate('tasks-inbound') });
    await createValidatedJob(pool, testSecretBox, { id: TASKS_OUT, connectionId: C, config: configFromTemplate('tasks-outbound') as JobConfig });
    // An existing schedule, which refused enables and schedules must leave as it is.
    await hubsync.enableJob(TASKS, { schedule: { every: '6h' }, run: false });
    const { rows: linked } = await pool.query<{ crm_id: string; hub_id: number }>(`SELECT crm_id, hub_id FROM record_links WHERE connection_id = $1 AND hub_type = 'account' ORDER BY crm_id LIMIT 2`, [C]);
    const [a1, a2] = linked as unknown as [{ crm_id: string }, { crm_id: string }];
    const h1 = await hubAccountOf(pool, C, a1.crm_id);
    const task = await hubsync.createHubRecord('task', { accountId: h1, title: 'HI hostile-input task' });
    fx = { h1, h2: await hubAccountOf(pool, C, a2.crm_id), acc1: a1.crm_id, acc2: a2.crm_id, taskId: task.id, file: (name) => path.join(dir, name), hubsync };
  });
  afterAll(async () => {
    await hubsync?.temporal.schedule.getHandle(`hubsync-schedule-${TASKS}`).delete().catch(() => undefined);
    await stopWorker?.();
    await Promise.allSettled([sf?.close(), dv?.close()]);
    await temporalConnection?.close();
    await pool.end();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('has at least 60 cases, each with its own ID', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CASES.map((c) => c.id)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [`${c.id} ${c.entryPoint}: ${c.title}`, c] as const))('%s is refused and changes nothing', async (_name, c) => {
    const before = await snapshotHub(pool, { prefix: 'hi' });
    const writesBefore = c.crm ? (await sfWrites()).length : 0;
    const schedulesBefore = c.schedules ? await schedules() : undefined;
    const adminBefore = 'admin' in c.input ? await adminState(c.input.admin) : undefined;

    let message: string;
    if ('cli' in c.input) {
      const result = await runCli(c.input.cli(fx), sf.cliEnv);
      message = `${result.stdout}\n${result.stderr}`;
      expect({ code: result.code, message }).toMatchObject({ code: c.expect.exitCode });
      expect(message).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m); // no stack trace
    } else if ('call' in c.input) {
      const thrown = await c.input.call(fx).then(
        (value) => new Error(`accepted: ${JSON.stringify(value)?.slice(0, 300)}`),
        (err: unknown) => err,
      );
      if (!(thrown instanceof HubsyncError)) throw new Error(`not refused as a HubsyncError: ${thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown)}`);
      expect(thrown.kind).toBe(c.expect.kind);
      message = describeFailure(thrown);
    } else {
      const url = c.input.admin === 'salesforce' ? sf.sandbox.url : dv.url;
      const res = await fetch(new URL(c.input.path, url), { method: c.input.method, headers: { 'content-type': 'application/json' }, body: c.input.body });
      message = await res.text();
      expect({ status: res.status, message }).toMatchObject({ status: c.expect.status });
      expect(JSON.parse(message)).toMatchObject({ error: expect.any(String) });
    }
    expect(message).toMatch(c.expect.what);
    expect(message).toMatch(c.expect.where);
    expect(message).toMatch(c.expect.fix);
    expect(message.length).toBeLessThan(20000); // an over-long input is not echoed back whole

    expect(await snapshotHub(pool, { prefix: 'hi' })).toEqual(before);
    if (c.crm) expect((await sfWrites()).slice(writesBefore)).toEqual([]);
    if (schedulesBefore) expect(await schedules()).toEqual(schedulesBefore);
    if (adminBefore && 'admin' in c.input) expect(await adminState(c.input.admin)).toEqual(adminBefore);
  });
});
