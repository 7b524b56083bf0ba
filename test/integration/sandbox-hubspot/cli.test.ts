// `hubsync sandbox hubspot`: prints the URL, access token and OAuth app on its first line, serves
// @hubspot/api-client with them, saves to --data-dir and exits 0 on SIGTERM; bad flags and a port in use are
// clear errors.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@hubspot/api-client';
import { startHubSpotSandbox } from '../../../sandbox/hubspot';
import { CliProcess, runCli } from '../../support/cli';

describe('hubsync sandbox hubspot', () => {
  it('prints URL and credentials first, answers the client with them, saves to --data-dir and exits 0 on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubspot-cli-'));
    const cli = new CliProcess(['sandbox', 'hubspot', '--port', '0', '--seed', 'none', '--data-dir', dir], {});
    try {
      await cli.waitFor('\n', 60000);
      const line = cli.output.slice(0, cli.output.indexOf('\n'));
      const url = /^HubSpot sandbox: (http:\/\/127\.0\.0\.1:\d+) /.exec(line)?.[1] ?? '';
      expect(url).not.toBe('');
      const pairs = new Map([...line.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
      expect([...pairs.keys()]).toEqual(['accessToken', 'clientId', 'clientSecret', 'refreshToken']);
      const field = (name: string) => pairs.get(name) ?? '';
      expect(field('accessToken')).toMatch(/^pat-/);

      const client = new Client({ accessToken: field('accessToken'), basePath: url, numberOfApiCallRetries: 1 });
      const created = await client.crm.companies.basicApi.create({ properties: { name: 'From the CLI' }, associations: [] });
      expect((await client.crm.companies.getAll()).map((c) => c.id)).toEqual([created.id]);
      const tokens = await new Client({ basePath: url }).oauth.tokensApi.create('refresh_token', undefined, undefined, field('clientId'), field('clientSecret'), field('refreshToken'));
      await expect(new Client({ accessToken: tokens.accessToken, basePath: url }).crm.owners.ownersApi.getPage()).resolves.toMatchObject({ results: expect.any(Array) });

      await cli.waitFor('Press Ctrl-C to stop.', 10000);
      cli.child.kill('SIGTERM');
      expect(await cli.exited(10000)).toBe(0);
      // stdout and stderr both: nothing but the banner and the goodbye.
      expect(cli.output).toMatch(/Press Ctrl-C to stop\.\n\nSIGTERM: stopping the HubSpot sandbox \(saving to .*\)\.\.\.\nStopped\.\n$/);
      expect(fs.readdirSync(dir)).toContain('state.json');
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad flags and a port in use with clear errors (a ConflictError with the fix, not a raw EADDRINUSE)', async () => {
    const taken = await startHubSpotSandbox({ port: 0, seed: 'none' });
    const port = new URL(taken.url).port;
    const refusals: Array<[string[], RegExp]> = [
      [['--port', 'eighty'], /--port: expected a port number \(0 for any free port\), got eighty/],
      [['--port', '0', '--seed', 'all'], /--seed: expected demo or none, got all/],
      [['--port', port], new RegExp(`Port ${port} is already in use, so the HubSpot sandbox cannot listen there\\.\\n\\s+fix: pick another with --port N \\(0 for any free port\\)`)],
    ];
    try {
      for (const [flags, message] of refusals) {
        const result = await runCli(['sandbox', 'hubspot', ...flags]);
        expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 1, stderr: expect.stringMatching(message) });
        expect(result.stderr).not.toContain('EADDRINUSE');
      }
    } finally {
      await taken.close();
    }
  });
});
