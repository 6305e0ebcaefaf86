/**
 * Text from outside (a login name a stranger sent, a command typed in a session, a target's
 * error message) on its way to an operator's terminal or a log line: every character that a
 * terminal or a line-oriented reader would act on rather than show is written as an escape,
 * so nobody can forge a log line with a newline, move the cursor, retitle the window or turn
 * the text around. A backslash is escaped too, so an escape in the output is never ambiguous.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\\]/gu;

export function printable(text: string): string {
  return text.replace(UNSAFE, (char) => {
    if (char === '\\') return '\\\\';
    const code = char.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** One token of a `key=value` line: escaped, and quoted when it holds spaces, quotes or `=`. */
export function printableToken(text: string): string {
  const shown = printable(text);
  return /[\s"=]/.test(shown) ? `"${shown.replace(/"/g, '\\"')}"` : shown;
}

/**
 * A value as JSON that is safe on a terminal: JSON.stringify escapes C0 controls but leaves
 * DEL, C1 controls and Unicode formatting characters raw; those become `\uXXXX` too, which
 * keeps the text valid JSON for whoever copies it.
 */
export function printableJson(value: unknown): string {
  return (JSON.stringify(value) ?? 'null').replace(UNSAFE_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
const UNSAFE_IN_JSON = /[\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
