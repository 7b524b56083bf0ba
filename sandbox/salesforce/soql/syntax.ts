/**
 * Parsing with @jetstreamapp/soql-parser-js, and its syntax errors turned into Salesforce's MALFORMED_QUERY.
 * The parser's errors carry the offending token's text but not its position (lexing errors excepted), so the
 * position is recovered by re-parsing the query cut just after each occurrence of that text: the first cut that
 * fails on that same token is where the parser stopped.
 */
import { parseQuery, type Query } from '@jetstreamapp/soql-parser-js';
import { type SalesforceError } from '../model';
import { unexpectedToken } from './errors';

/** Occurrences tried when locating a syntax error; past that the first occurrence is reported. */
const MAX_PROBES = 20;

export function parseSoql(soql: string): Query {
  try {
    return parseQuery(soql);
  } catch (error) {
    throw syntaxError(soql, error);
  }
}

interface Culprit {
  /** The offending token's text; undefined at the end of the query. */
  token: string | undefined;
  offset: number | undefined;
}

function culpritOf(error: unknown): Culprit {
  const message = error instanceof Error ? error.message : String(error);
  const lexing = /unexpected character: ->([\s\S])<- at offset: (\d+)/.exec(message);
  if (lexing) return { token: lexing[1], offset: Number(lexing[2]) };
  const found =
    /but found --> '([\s\S]*)' <--\s*$/.exec(message) ??
    /Redundant input, expecting EOF but found: ([\s\S]*)$/.exec(message) ??
    /but found: '([\s\S]*)'\s*$/.exec(message);
  const token = found?.[1];
  return { token: token ? token : undefined, offset: undefined };
}

function syntaxError(soql: string, error: unknown): SalesforceError {
  const culprit = culpritOf(error);
  if (culprit.offset !== undefined) return unexpectedToken(soql, culprit.offset, culprit.token);
  if (culprit.token === undefined) return unexpectedToken(soql, soql.trimEnd().length, undefined);
  return unexpectedToken(soql, locateToken(soql, culprit.token), culprit.token);
}

function locateToken(soql: string, token: string): number | undefined {
  let first: number | undefined;
  let probes = 0;
  for (let at = soql.indexOf(token); at >= 0 && probes < MAX_PROBES; at = soql.indexOf(token, at + 1), probes++) {
    first ??= at;
    try {
      parseQuery(soql.slice(0, at + token.length));
    } catch (error) {
      if (culpritOf(error).token === token) return at;
    }
  }
  return first;
}
