// The repository stands on its own (newcomer issue): the README and docs cite only feature IDs that
// docs/features.md defines, and point at no file outside the repository.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

describe('project docs', () => {
  const features = read('docs/features.md');
  const defined = new Set([...features.matchAll(/^\| ([WTP]\d+)(?:–([WTP]\d+))? /gm)].flatMap((m) => [m[1]!, ...(m[2] ? [m[2]] : [])]));

  it('define every feature ID once, W1-W14, T1-T30, P1-P6', () => {
    const expected = [...Array.from({ length: 14 }, (_, i) => `W${i + 1}`), ...Array.from({ length: 30 }, (_, i) => `T${i + 1}`), ...Array.from({ length: 6 }, (_, i) => `P${i + 1}`)];
    expect([...defined].sort()).toEqual(expected.sort());
  });

  it.each(['README.md', 'docs/architecture.md'])('%s cites only defined feature IDs and no file outside the repository', (file) => {
    const text = read(file);
    const cited = [...text.matchAll(/\b([WTP]\d{1,2})\b/g)].map((m) => m[1]!).filter((id) => /^[WTP]([1-9]|[1-3]\d)$/.test(id));
    expect(cited.filter((id) => !defined.has(id))).toEqual([]);
    expect(text).not.toMatch(/\.\.\/shared|crm-api-contracts|FEATURES\.md|seed 00\d/);
    for (const [, link] of text.matchAll(/\]\(((?!https?:)[^)#]+)\)/g)) expect(fs.existsSync(path.join(root, path.dirname(file), link!))).toBe(true);
  });
});
