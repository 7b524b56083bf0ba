/**
 * A small Dockerfile reader for the tests (there is no Docker engine to build the image): instructions with
 * their line continuations joined and comments dropped, grouped by stage (`FROM … AS name`), and exec-form
 * (JSON array) arguments parsed.
 */
import fs from 'node:fs';

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuations joined. */
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

export function readDockerfile(file: string): Stage[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const instructions: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i]!.trim();
    if (first === '' || first.startsWith('#')) continue;
    const start = i;
    let text = first;
    while (text.endsWith('\\') && i + 1 < lines.length) {
      const next = lines[++i]!.trim();
      text = `${text.slice(0, -1).trimEnd()} ${next.startsWith('#') ? '' : next}`.trimEnd();
    }
    const match = /^(\S+)\s*(.*)$/.exec(text);
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!, line: start + 1 });
  }
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [from, as, name] = instruction.args.split(/\s+/);
      stages.push({ from: from!, ...(as?.toUpperCase() === 'AS' && name ? { name } : {}), instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

/** The arguments of an exec-form instruction (`CMD ["node", "x"]`), or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.trim().startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(args);
  return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined;
}

/** A HEALTHCHECK's options (`--interval=15s`) and its exec-form command. */
export function healthCheck(args: string): { options: Record<string, string>; command: string[] | undefined } {
  const options: Record<string, string> = {};
  let rest = args.trim();
  for (let m = /^--([a-z-]+)=(\S+)\s+/.exec(rest); m; m = /^--([a-z-]+)=(\S+)\s+/.exec(rest)) {
    options[m[1]!] = m[2]!;
    rest = rest.slice(m[0].length);
  }
  if (!rest.startsWith('CMD')) return { options, command: undefined };
  return { options, command: execForm(rest.slice(3)) };
}
