// `hubsync sandbox salesforce`: prints the URL and credentials on its first line, serves jsforce (refresh-token
// login with those credentials), and exits 0 on Ctrl-C.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Connection } from 'jsforce';
import { BIN, runCli } from '../../support/cli';
import { API_VERSION, startSandbox } from './support';

function firstLine(child: ReturnType<typeof spawn>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no first line within ${timeoutMs} ms: ${out}`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const newline = out.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, newline));
      }
    });
    child.once('exit', (code) => reject(new Error(`exited (${String(code)}) before printing: ${out}`)));
  });
}

describe('hubsync sandbox salesforce', () => {
  it('prints URL and credentials first, answers jsforce with them, and exits 0 on SIGINT', async () => {
    const child = spawn(process.execPath, [BIN, 'sandbox', 'salesforce', '--port', '0', '--seed', 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const line = await firstLine(child, 60000);
      const pairs = new Map([...line.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
      const field = (name: string) => pairs.get(name) ?? '';
      const url = /^Salesforce sandbox: (http:\/\/127\.0\.0\.1:\d+) /.exec(line)?.[1] ?? '';
      expect(url).not.toBe('');
      expect([...pairs.keys()]).toEqual(['username', 'password', 'securityToken', 'clientId', 'clientSecret', 'refreshToken']);

      const conn = new Connection({
        oauth2: { clientId: field('clientId'), clientSecret: field('clientSecret'), loginUrl: url },
        instanceUrl: url,
        refreshToken: field('refreshToken'),
        version: API_VERSION,
      });
      const result = await conn.query<{ Name: string }>('SELECT Name FROM Account ORDER BY Name LIMIT 5');
      expect(result.records).toHaveLength(5);

      const byPassword = new Connection({ oauth2: { clientId: field('clientId'), clientSecret: field('clientSecret'), loginUrl: url }, version: API_VERSION });
      await byPassword.login(field('username'), `${field('password')}${field('securityToken')}`);
      expect((await byPassword.query('SELECT COUNT() FROM User')).totalSize).toBeGreaterThan(5);

      const exited = once(child, 'exit');
      child.kill('SIGINT');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
      expect(stderr).toBe('');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses a port in use with the fix, not a raw EADDRINUSE', async () => {
    const taken = await startSandbox({ seed: 'none' });
    try {
      const port = new URL(taken.url).port;
      const result = await runCli(['sandbox', 'salesforce', '--port', port, '--seed', 'none']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`Port ${port} is already in use, so the Salesforce sandbox cannot listen there\\.\\n\\s+fix: pick another with --port N \\(0 for any free port\\)`));
      expect(result.stderr).not.toContain('EADDRINUSE');
    } finally {
      await taken.close();
    }
  });
});
