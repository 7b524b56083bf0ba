// P5: docker-compose.yml describes the production topology and `docker compose config` accepts it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadEnv } from '../../kernel/env';
import { ensureDockerCompose } from '../support/docker-compose';
import { healthCheck, readDockerfile } from '../support/dockerfile';

jest.setTimeout(600000); // a cold machine builds Compose from the Go module proxy once (~2 min)

const root = path.resolve(__dirname, '..', '..');

interface ComposeConfig {
  services: Record<string, { image?: string; build?: { context: string }; environment?: Record<string, string>; ports?: Array<{ target: number; published: string }>; depends_on?: Record<string, unknown>; healthcheck?: { test?: string[] } }>;
}

describe('docker-compose.yml', () => {
  let composeEnv: NodeJS.ProcessEnv;
  beforeAll(async () => {
    composeEnv = { ...process.env, ...(await ensureDockerCompose(loadEnv().cacheDir, (l) => process.stderr.write(`${l}\n`))) };
  });

  function compose(args: string[], env: NodeJS.ProcessEnv = {}) {
    return spawnSync('docker', ['compose', '-f', path.join(root, 'docker-compose.yml'), ...args], { env: { ...composeEnv, ...env }, encoding: 'utf8' });
  }

  it('passes `docker compose config`', () => {
    const run = compose(['config', '--quiet']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('runs PostgreSQL, Temporal on PostgreSQL, the Temporal UI and the hubsync worker, configured by environment', () => {
    const run = compose(['config', '--format', 'json'], { TEMPORAL_UI_PORT: '18233', POSTGRES_PASSWORD: 's3cret' });
    expect(run.status).toBe(0);
    const config = JSON.parse(run.stdout) as ComposeConfig;
    expect(Object.keys(config.services).sort()).toEqual(['postgres', 'temporal', 'temporal-ui', 'worker']);
    expect(config.services['temporal']?.environment?.['DB']).toBe('postgres12');
    expect(config.services['temporal-ui']?.ports?.[0]).toMatchObject({ target: 8080, published: '18233' });
    const worker = config.services['worker'];
    expect(worker?.build?.context).toBe(root);
    expect(worker?.environment).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal:7233',
      DATABASE_URL: 'postgres://hubsync:s3cret@postgres:5432/hubsync',
    });
    expect(Object.keys(worker?.depends_on ?? {}).sort()).toEqual(['postgres', 'temporal']);
  });

  it("checks the worker's health as the image does: the Dockerfile's HEALTHCHECK, /readyz on HUBSYNC_METRICS_PORT", () => {
    const run = compose(['config', '--format', 'json']);
    expect(run.status).toBe(0);
    const worker = (JSON.parse(run.stdout) as ComposeConfig).services['worker'];
    const dockerfileCheck = readDockerfile(path.join(root, 'Dockerfile')).at(-1)?.instructions.find((i) => i.keyword === 'HEALTHCHECK');
    const command = dockerfileCheck ? healthCheck(dockerfileCheck.args).command : undefined;
    expect(command?.join(' ')).toMatch(/\/readyz/);
    expect(worker?.healthcheck?.test).toEqual(['CMD', ...(command ?? [])]);
  });

  it('is rejected by `docker compose config` when broken (the check can fail)', () => {
    const run = spawnSync('docker', ['compose', '-f', '-', 'config', '--quiet'], {
      env: composeEnv,
      input: 'services:\n  worker:\n    build: .\n    depends_on: [missing]\n',
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/missing/);
  });
});
