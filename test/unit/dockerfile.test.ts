// Issue 15: the worker image is built in two stages and runs the compiled build as a non-root user, with a
// health check on the worker's readiness endpoint. There is no Docker engine here to build it, so the
// Dockerfile is checked as text; test/integration/production-build.test.ts runs the same command, layout
// and health check against a real build.
import fs from 'node:fs';
import path from 'node:path';
import { execForm, healthCheck, readDockerfile, type Stage } from '../support/dockerfile';

const root = path.resolve(__dirname, '..', '..');
const stages = readDockerfile(path.join(root, 'Dockerfile'));
const args = (stage: Stage | undefined, keyword: string) => (stage?.instructions ?? []).filter((i) => i.keyword === keyword).map((i) => i.args);
const build = stages[0];
const runtime = stages.at(-1);

describe('Dockerfile', () => {
  it('has two stages on the same base image: build, then runtime', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    expect(build?.from).toBe(runtime?.from);
  });

  it('builds with every dependency from the lock file, then `npm run build`', () => {
    const runs = args(build, 'RUN');
    expect(runs).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
    expect(args(build, 'COPY')[0]).toBe('package.json package-lock.json ./');
  });

  it('runs with production dependencies from the lock file and the build output only', () => {
    expect(args(runtime, 'RUN')).toEqual(['npm ci --omit=dev --no-audit --no-fund && npm cache clean --force']);
    expect(args(runtime, 'COPY')).toEqual(['package.json package-lock.json ./', '--from=build /app/dist ./dist']);
    expect(args(runtime, 'ENV')).toContain('NODE_ENV=production');
  });

  it('runs as a user that is not root', () => {
    const users = args(runtime, 'USER');
    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
    // USER comes before what the container runs (a later RUN would be the only thing after it).
    const order = runtime?.instructions.map((i) => i.keyword) ?? [];
    expect(order.indexOf('USER')).toBeGreaterThan(order.lastIndexOf('RUN'));
  });

  it('runs the compiled worker with plain node: no tsx, no TypeScript source, no loader flags', () => {
    const cmds = args(runtime, 'CMD');
    expect(cmds).toHaveLength(1);
    expect(args(runtime, 'ENTRYPOINT')).toEqual([]);
    const cmd = execForm(cmds[0]!);
    expect(cmd).toEqual(['node', 'dist/client/main.js', 'worker']);
    expect(fs.existsSync(path.join(root, 'client', 'main.ts'))).toBe(true); // what dist/client/main.js is compiled from
    const everything = (runtime?.instructions ?? []).map((i) => i.args).join('\n');
    expect(everything).not.toMatch(/tsx|ts-node|\.ts\b|NODE_OPTIONS|--require|--import|--loader/);
  });

  it('has a health check that asks the worker\'s /readyz on HUBSYNC_METRICS_PORT (default 9464) with node\'s fetch', () => {
    const checks = args(runtime, 'HEALTHCHECK');
    expect(checks).toHaveLength(1);
    const { options, command } = healthCheck(checks[0]!);
    expect(options).toMatchObject({ interval: expect.any(String), timeout: expect.any(String), 'start-period': expect.any(String) });
    expect(command?.slice(0, 2)).toEqual(['node', '-e']);
    expect(command?.[2]).toContain("fetch('http://127.0.0.1:' + (process.env.HUBSYNC_METRICS_PORT || 9464) + '/readyz'");
    expect(command?.[2]).toContain('process.exit(1)');
  });

  it('is read as it is written (the reader sees continuations, comments and exec forms)', () => {
    expect(healthCheck('--interval=5s CMD ["a", "b"]')).toEqual({ options: { interval: '5s' }, command: ['a', 'b'] });
    expect(healthCheck('NONE').command).toBeUndefined();
    expect(execForm('node x.js')).toBeUndefined();
    expect(build?.instructions.some((i) => i.keyword === 'WORKDIR' && i.args === '/app')).toBe(true);
  });
});
