/**
 * Text that hubsync accepts from outside (files, flags, API requests): Unicode without control characters.
 * A control character (NUL, ESC, a lone CR...) in a name, a filter, a secret or a value is never meant: it
 * breaks HTTP headers and terminals, PostgreSQL refuses NUL in text and jsonb, and a lone UTF-16 surrogate is
 * not Unicode at all (text decoded with the wrong encoding). Free of Node built-ins: workflow code may import it.
 */

export interface TextRules {
  /** Tab, line feed and carriage return are allowed (multi-line text: descriptions, notes, filters). Default true. */
  lineBreaks?: boolean;
}

const hex = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Why `text` is not acceptable text, as "contains … at position N" (1-based, in UTF-16 units), or undefined
 * when it is. Refused: C0 controls (tab, LF and CR only with `lineBreaks`), DEL, C1 controls, lone surrogates.
 */
export function unsafeText(text: string, rules: TextRules = {}): string | undefined {
  const lineBreaks = rules.lineBreaks ?? true;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return `contains a lone UTF-16 surrogate (${hex(code)}) at position ${i + 1}, which is not Unicode text: check the encoding it was read with`;
    }
    const allowed = lineBreaks && (code === 0x09 || code === 0x0a || code === 0x0d);
    if ((code < 0x20 && !allowed) || (code >= 0x7f && code <= 0x9f)) {
      return `contains the control character ${hex(code)} at position ${i + 1}: remove it`;
    }
  }
  return undefined;
}
