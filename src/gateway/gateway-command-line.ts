/**
 * The gateway's own exec commands (SPEC §2.7): `request ROLE --for D --reason TEXT`,
 * `requests` and `targets`. Everything else is not a gateway command. Pure: the line is
 * what a stranger sent, so it is bounded and split here, and nothing runs.
 *
 * OpenSSH joins the words of `ssh gate request dba --reason "db down"` with spaces and the
 * local shell has already eaten the quotes, so the gateway receives `--reason db down`: the
 * reason is every word up to the next option. Quotes the gateway does receive (`--reason
 * "'db down'"`) group words as a POSIX shell would.
 */
export const MAX_COMMAND_LENGTH = 1024;

export type GatewayCommand =
  | { name: 'request'; role: string; for?: string; reason?: string }
  | { name: 'requests' }
  | { name: 'targets' };

export type ParsedCommand =
  | { ok: true; command: GatewayCommand }
  | { ok: false; usage: string }
  /** Not one of the gateway's commands: the caller refuses it as before. */
  | { ok: false; usage: null };

export const REQUEST_USAGE = 'usage: request ROLE --for DURATION --reason TEXT (e.g. request dba --for 2h --reason "INC-42")';

export function parseGatewayCommand(line: string): ParsedCommand {
  if (line.length > MAX_COMMAND_LENGTH) return { ok: false, usage: `the command is longer than ${MAX_COMMAND_LENGTH} characters` };
  const words = splitWords(line);
  if (words === null) return { ok: false, usage: 'unbalanced quotes in the command' };
  const [name, ...rest] = words;
  if (name === 'requests' || name === 'targets') {
    return rest.length === 0 ? { ok: true, command: { name } } : { ok: false, usage: `usage: ${name} (no arguments)` };
  }
  if (name !== 'request') return { ok: false, usage: null };
  return parseRequest(rest);
}

function parseRequest(words: string[]): ParsedCommand {
  let role: string | undefined;
  const options: { for?: string; reason?: string } = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    const [flag, inline] = word.startsWith('--') && word.includes('=') ? [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)] : [word, undefined];
    if (flag === '--for') {
      const value = inline ?? words[++i];
      if (value === undefined || options.for !== undefined) return { ok: false, usage: REQUEST_USAGE };
      options.for = value;
    } else if (flag === '--reason') {
      if (options.reason !== undefined) return { ok: false, usage: REQUEST_USAGE };
      const parts = inline !== undefined ? [inline] : [];
      while (i + 1 < words.length && !words[i + 1].startsWith('--')) parts.push(words[++i]);
      options.reason = parts.join(' ');
    } else if (word.startsWith('-') || role !== undefined) {
      return { ok: false, usage: `unknown argument ${word.startsWith('-') ? word.split('=')[0] : 'after the role'}; ${REQUEST_USAGE}` };
    } else {
      role = word;
    }
  }
  if (role === undefined) return { ok: false, usage: REQUEST_USAGE };
  return { ok: true, command: { name: 'request', role, ...options } };
}

/** Words as a POSIX shell splits them (single and double quotes, backslash in and out of double quotes); null when a quote is open. */
export function splitWords(line: string): string[] | null {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quote === "'") {
      if (char === "'") quote = null;
      else word += char;
    } else if (quote === '"') {
      if (char === '"') quote = null;
      else if (char === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) word += line[++i];
      else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (char === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (quote !== null) return null;
  if (inWord) words.push(word);
  return words;
}
