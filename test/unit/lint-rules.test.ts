// The ESLint rules that keep workflow code deterministic (platform issue, item 1) really fire.
// ESLint runs as the same process `npm run lint` starts, reading the code from stdin.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const eslintBin = path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');

function lint(relativeFile: string, code: string): string[] {
  const run = spawnSync(process.execPath, [eslintBin, '--format', 'json', '--stdin', '--stdin-filename', relativeFile], {
    cwd: root,
    input: code,
    encoding: 'utf8',
  });
  const [result] = JSON.parse(run.stdout) as Array<{ messages: Array<{ ruleId: string | null; message: string }> }>;
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('ESLint rules for workflow code', () => {
  it('forbids Node built-ins in workflows/', () => {
    const messages = lint('workflows/probe.ts', `import fs from 'node:fs';\nexport const x = fs;\n`);
    expect(messages.join('\n')).toMatch(/no-restricted-imports: .*deterministic sandbox/);
  });

  it('allows Node built-ins outside workflows/', () => {
    const messages = lint('activities/index.ts', `import fs from 'node:fs';\nexport const x = fs;\n`);
    expect(messages.filter((m) => m.startsWith('no-restricted-imports'))).toEqual([]);
  });

  it('reports floating promises', () => {
    const messages = lint('workflows/probe.ts', `async function f(): Promise<void> {}\nexport function g(): void { f(); }\n`);
    expect(messages.join('\n')).toMatch(/@typescript-eslint\/no-floating-promises/);
  });
});
