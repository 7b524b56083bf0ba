// Resolution order of the Temporal CLI (platform issue, item 2): TEMPORAL_CLI_PATH, then PATH, then the
// per-user cache; building with Go only when none is found.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cachedCliPath, findOnPath, locateTemporalCli, TemporalCliUnavailableError, TEMPORAL_CLI_VERSION } from '../../local/temporal-cli';

function executable(file: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return file;
}

describe('Temporal CLI resolution', () => {
  let dir: string;
  const savedPath = process.env['PATH'];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubsync-cli-'));
  });
  afterEach(() => {
    process.env['PATH'] = savedPath;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('caches the pinned version per user, outside the repository', () => {
    expect(TEMPORAL_CLI_VERSION).toBe('v1.5.1');
    expect(cachedCliPath('/c/hubsync')).toBe('/c/hubsync/temporal-cli/v1.5.1/bin/temporal');
  });

  it('prefers TEMPORAL_CLI_PATH over PATH and cache', () => {
    const explicit = executable(path.join(dir, 'explicit', 'temporal'));
    executable(path.join(dir, 'bin', 'temporal'));
    executable(cachedCliPath(path.join(dir, 'cache')));
    process.env['PATH'] = path.join(dir, 'bin');
    expect(locateTemporalCli({ cliPath: explicit, cacheDir: path.join(dir, 'cache') })).toEqual({ path: explicit, source: 'TEMPORAL_CLI_PATH' });
  });

  it('refuses a TEMPORAL_CLI_PATH that is not executable, saying what to do', () => {
    expect(() => locateTemporalCli({ cliPath: path.join(dir, 'missing'), cacheDir: dir })).toThrow(TemporalCliUnavailableError);
    expect(() => locateTemporalCli({ cliPath: path.join(dir, 'missing'), cacheDir: dir })).toThrow(/not an executable file.*unset it/);
  });

  it('takes `temporal` from PATH before the cache', () => {
    const onPath = executable(path.join(dir, 'bin', 'temporal'));
    executable(cachedCliPath(path.join(dir, 'cache')));
    process.env['PATH'] = `${path.join(dir, 'empty')}${path.delimiter}${path.join(dir, 'bin')}`;
    expect(locateTemporalCli({ cacheDir: path.join(dir, 'cache') })).toEqual({ path: onPath, source: 'PATH' });
  });

  it('falls back to the cached build, and reports nothing when there is none', () => {
    process.env['PATH'] = path.join(dir, 'bin');
    expect(locateTemporalCli({ cacheDir: path.join(dir, 'cache') })).toBeUndefined();
    const cached = executable(cachedCliPath(path.join(dir, 'cache')));
    expect(locateTemporalCli({ cacheDir: path.join(dir, 'cache') })).toEqual({ path: cached, source: 'cache' });
  });

  it('ignores non-executable files on PATH', () => {
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'bin', 'temporal'), 'not a program', { mode: 0o644 });
    expect(findOnPath('temporal', path.join(dir, 'bin'))).toBeUndefined();
  });
});
