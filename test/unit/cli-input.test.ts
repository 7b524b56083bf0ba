// The CLI's edge (newcomer issue): numbers, intervals, cron expressions and settings files are checked before
// any command writes, and every refusal names the input, what is wrong and the fix.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { ConfigurationError } from '../../kernel/errors';
import { intOption, readConfigFile } from '../../client/input';
import { parseCron, parseEvery } from '../../kernel/schedule';
import { WorkerLogger } from '../../workers/runtime';

describe('numeric flags', () => {
  const limit = intOption('--limit', 1, 1000);
  it('takes whole numbers in range and refuses the rest, naming the range', () => {
    expect(limit('25')).toBe(25);
    for (const bad of ['-1', '0', '1001', 'abc', '1.5', '']) {
      expect(() => limit(bad)).toThrow(InvalidArgumentError);
      expect(() => limit(bad)).toThrow(/--limit takes a whole number from 1 to 1000/);
    }
  });
});

describe('schedule intervals', () => {
  it('accepts 1m to 366d and refuses the rest with the range', () => {
    expect(parseEvery('15m')).toBe(900);
    expect(parseEvery('366d')).toBe(366 * 86400);
    expect(() => parseEvery('banana')).toThrow(/--every takes a duration such as 15m, 1h or 1d, not 'banana'/);
    expect(() => parseEvery('30s')).toThrow(/out of range/);
    let err: unknown;
    try {
      parseEvery('99999999d');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).fix).toBe('give an interval from 1m to 366d');
  });
});

describe('cron expressions', () => {
  it('accepts five valid fields, names and steps included', () => {
    for (const ok of ['0 * * * *', '*/15 9-17 * * MON-FRI', '30 6 1,15 JAN-JUN *', '0 0 * * 0']) expect(parseCron(ok)).toBe(ok);
  });
  it('refuses a wrong field count, values out of range, backwards ranges and bad steps, saying which field', () => {
    expect(() => parseCron('* * * *')).toThrow(/has 4 field\(s\), not 5/);
    expect(() => parseCron('60 * * * *')).toThrow(/'60' is not a valid minute \(0-59\)/);
    expect(() => parseCron('0 25 * * *')).toThrow(/'25' is not a valid hour/);
    expect(() => parseCron('0 0 * FOO *')).toThrow(/'FOO' is not a valid month \(1-12 or JAN-DEC\)/);
    expect(() => parseCron('0 17-9 * * *')).toThrow(/range '17-9' runs backwards/);
    expect(() => parseCron('*/0 * * * *')).toThrow(/step '\/0'/);
  });
});

describe('settings files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubsync-input-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  it('names a missing file, and the fix, instead of ENOENT', () => {
    expect(() => readConfigFile(path.join(dir, 'nope.yaml'))).toThrow(/--file .*nope\.yaml: cannot read it \(no such file\)/);
  });
  it('names the file and the line of a syntax error', () => {
    const yaml = write('bad.yaml', 'clientId: x\n  refreshToken: [\n');
    expect(() => readConfigFile(yaml)).toThrow(new RegExp(`--file ${yaml}: not valid YAML at line \\d+, column \\d+`));
    const json = write('bad.json', '{"a": }');
    expect(() => readConfigFile(json)).toThrow(new RegExp(`--file ${json}: not valid JSON`));
  });
  it('refuses a file that is not an object of settings', () => {
    expect(() => readConfigFile(write('list.yaml', '- a\n- b\n'))).toThrow(/expected an object of settings, got a list/);
    expect(readConfigFile(write('ok.yaml', 'clientId: x\n'))).toEqual({ clientId: 'x' });
  });
});

describe('worker log lines', () => {
  it('prints one line per failed activity attempt: activity, workflow, attempt, first line of the error', () => {
    const error = new Error('reading Task records: No such column Colour__c\nfix: correct the mapping');
    const line = WorkerLogger.summarize('WARN', 'Activity failed', { error, activityType: 'syncInboundPages', workflowId: 'hubsync-job-x-manual-1', attempt: 3 });
    expect(line).toBe('[worker] syncInboundPages of hubsync-job-x-manual-1 failed (attempt 3): reading Task records: No such column Colour__c');
    const lines: string[] = [];
    new WorkerLogger('WARN', undefined, (l) => lines.push(l)).warn('Activity failed', { error, activityType: 'a', workflowId: 'w', attempt: 1 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
  });
});
