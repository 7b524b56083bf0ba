/**
 * Input at the CLI's edge, parsed and checked before any command writes anything: settings files (UTF-8, no
 * control characters, no duplicate keys) and numbers (schedules: kernel/schedule.ts). A refusal names the input,
 * what is wrong and the fix.
 */
import fs from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { parse as parseYaml, parseDocument, YAMLParseError } from 'yaml';
import { ConfigurationError } from '../kernel/errors';

/** The byte offset of the first byte that is not valid UTF-8 (lead bytes and continuation bytes), or -1. */
function invalidUtf8At(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const c = bytes[i]!;
    const tail = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (tail < 0) return i;
    for (let k = 1; k <= tail; k++) if (i + k >= bytes.length || (bytes[i + k]! & 0xc0) !== 0x80) return i;
    i += tail + 1;
  }
  return -1;
}

/** "line L, column C" of a character offset in text (both 1-based; columns count characters). */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

/** C0 controls but tab, LF and CR, DEL and C1 controls: YAML forbids them in a stream, and no setting is meant to hold one. */
const RAW_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/**
 * The file's text: UTF-8 (a leading byte order mark is read past), refused with the place of the first byte
 * that is not UTF-8, or when the file is UTF-16, or when it holds a control character.
 */
function decodeConfigText(bytes: Buffer, where: string): string {
  const fix = 'save the file as UTF-8 (most editors offer the encoding under "Save as")';
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    throw new ConfigurationError(`${where}: the file is UTF-16 text (it starts with a UTF-16 byte order mark); hubsync reads UTF-8.`, { fix });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = invalidUtf8At(bytes);
    const before = at >= 0 ? new TextDecoder().decode(bytes.subarray(0, at)) : '';
    const byte = at >= 0 ? ` byte 0x${bytes[at]!.toString(16).toUpperCase().padStart(2, '0')} at ${lineColumn(before, before.length)} is not part of a UTF-8 character` : ' it holds bytes that are not UTF-8';
    throw new ConfigurationError(`${where}: not UTF-8 text:${byte} (a file saved as Latin-1 or Windows-1252?).`, { fix });
  }
  if (text.startsWith('\ufeff')) text = text.slice(1);
  const control = RAW_CONTROL.exec(text);
  if (control) {
    const code = `U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    throw new ConfigurationError(`${where}: ${lineColumn(text, control.index)} holds the control character ${code}, which no setting may contain.`, { fix: 'remove it (a text editor that shows invisible characters finds it)' });
  }
  return text;
}

/** JSON.parse keeps the last of two equal keys without a word: the first duplicate key of a JSON text, if any. */
function duplicateJsonKey(text: string): { key: string; at: string } | undefined {
  const duplicate = parseDocument(text, { uniqueKeys: true }).errors.find((e) => e.code === 'DUPLICATE_KEY');
  if (!duplicate) return undefined;
  const key = /^"((?:[^"\\]|\\.)*)"/.exec(text.slice(duplicate.pos[0]))?.[1] ?? '?';
  return { key, at: duplicate.linePos?.[0] ? `line ${duplicate.linePos[0].line}, column ${duplicate.linePos[0].col}` : `offset ${duplicate.pos[0]}` };
}

/** Reads a JSON or YAML file of settings (the way to keep secrets out of shell history). */
export function readConfigFile(file: string, flag = '--file'): Record<string, unknown> {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : String((err as Error).message);
    throw new ConfigurationError(`${flag} ${file}: cannot read it (${why}).`, { fix: 'give the path of a JSON or YAML file' });
  }
  const text = decodeConfigText(bytes, `${flag} ${file}`);
  const json = file.endsWith('.json');
  let parsed: unknown;
  try {
    parsed = json ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos?.[0] ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}` : '';
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ConfigurationError(`${flag} ${file}: not valid ${json ? 'JSON' : 'YAML'}${where}: ${detail}`, { fix: 'correct the file (a YAML or JSON object of settings)' });
  }
  const duplicate = json ? duplicateJsonKey(text) : undefined;
  if (duplicate) {
    throw new ConfigurationError(`${flag} ${file}: not valid JSON at ${duplicate.at}: duplicate key '${duplicate.key}' (JSON would keep only the last one).`, { fix: 'correct the file: give each key once (a YAML or JSON object of settings)' });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigurationError(`${flag} ${file}: expected an object of settings, got ${Array.isArray(parsed) ? 'a list' : parsed === null ? 'nothing' : `a ${typeof parsed}`}.`, {
      fix: 'write the settings as key: value lines (YAML) or a JSON object',
    });
  }
  return parsed as Record<string, unknown>;
}

/** A commander argument parser for a whole number within [min, max]. */
export function intOption(flag: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`${flag} takes a whole number from ${min} to ${max}, not '${value}'.`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${flag} takes a whole number from ${min} to ${max}, not ${n}.`);
    return n;
  };
}
