/** Operational log lines on stderr: `ts level message key=value…`. Never pass secrets here. */
import { printable, printableToken } from './printable.js';

export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LEVELS)[number];
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Longest value a line carries: a stranger chooses many of them (login names, error texts). */
export const MAX_VALUE_LENGTH = 512;

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function isLevel(text: string): text is Level {
  return (LEVELS as readonly string[]).includes(text);
}

/** A value as one token of the line: cut to a bound, escaped (it may come from a client), quoted when it has spaces. */
function formatValue(value: unknown): string {
  const text = value instanceof Error ? value.message : typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  const characters = Array.from(text);
  const bounded = characters.length <= MAX_VALUE_LENGTH ? text : `${characters.slice(0, MAX_VALUE_LENGTH).join('')}… (${characters.length} characters)`;
  return printableToken(bounded);
}

/** `minimum` defaults to JUMPGATE_LOG_LEVEL, else info (serve's `--log-level` overrides both). */
export function createLogger(minimum?: Level, write: (line: string) => unknown = (line) => process.stderr.write(line)): Logger {
  const fromEnv = process.env.JUMPGATE_LOG_LEVEL ?? '';
  const level: Level = minimum ?? (isLevel(fromEnv) ? fromEnv : 'info');
  const emit = (at: Level) => (message: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[at] < ORDER[level]) return;
    const extra = Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}=${formatValue(v)}`).join('');
    write(`${new Date().toISOString()} ${at} ${printable(message)}${extra}\n`);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
