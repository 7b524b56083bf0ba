// `hubsync sandbox dynamics`: prints the server URL, token endpoint and client credentials on its first line,
// serves dynamics-web-api with them, saves to --data-dir and exits 0 on SIGTERM; bad flags are clear errors.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DynamicsWebApi } from 'dynamics-web-api';
import { CliProcess, runCli } from '../../support/cli';
import { clearProxyVariables } from '../../../kernel/env';

clearProxyVariables();

describe('hubsync sandbox dynamics', () => {
  it('prints URL and credentials first, answers dynamics-web-api with them, saves to --data-dir and exits 0 on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynamics-cli-'));
    const cli = new CliProcess(['sandbox', 'dynamics', '--port', '0', '--data-dir', dir], {});
    try {
      await cli.waitFor('\n', 60000);
      const line = cli.output.slice(0, cli.output.indexOf('\n'));
      const url = /^Dynamics sandbox: (http:\/\/127\.0\.0\.1:\d+) /.exec(line)?.[1] ?? '';
      expect(url).not.toBe('');
      const pairs = new Map([...line.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
      expect([...pairs.keys()]).toEqual(['tokenUrl', 'tenant', 'clientId', 'clientSecret']);
      const field = (name: string) => pairs.get(name) ?? '';
      expect(field('tokenUrl')).toBe(`${url}/${field('tenant')}/oauth2/v2.0/token`);

      const token = await fetch(field('tokenUrl'), { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: field('clientId'), client_secret: field('clientSecret'), scope: `${url}/.default` }) });
      const accessToken = String(((await token.json()) as Record<string, unknown>)['access_token']);
      const api = new DynamicsWebApi({ serverUrl: url, dataApi: { version: '9.2' }, onTokenRefresh: async () => accessToken });
      const accounts = await api.retrieveAll({ collection: 'accounts', select: ['name'] });
      expect(accounts.value).toHaveLength(25);

      await cli.waitFor('Press Ctrl-C to stop.', 10000);
      expect(cli.output.split('\n')[1]).toContain('dynamics-web-api: new DynamicsWebApi({ serverUrl:');
      cli.child.kill('SIGTERM');
      expect(await cli.exited(10000)).toBe(0);
      expect(cli.output).toMatch(/Press Ctrl-C to stop\.\n\nSIGTERM: stopping the Dynamics sandbox \(saving to .*\)\.\.\.\nStopped\.\n$/);
      expect(fs.readdirSync(dir)).toContain('state.json');
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad flags with clear errors', async () => {
    const result = await runCli(['sandbox', 'dynamics', '--port', 'eighty']);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 1, stderr: expect.stringMatching(/--port: expected a port number \(0 for any free port\), got eighty/) });
  });
});
