/** Operational log lines on stderr: `ts level message key=value…`. Never pass secrets here. */
import { printable, printableToken } from './printable.js';
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A value as one token of the line: escaped (it may come from a client), quoted when it has spaces. */
function formatValue(value: unknown): string {
  return printableToken(value instanceof Error ? value.message : typeof value === 'string' ? value : JSON.stringify(value) ?? String(value));
}

export function createLogger(minimum: Level = (process.env.JUMPGATE_LOG_LEVEL as Level) || 'info', write = (line: string) => process.stderr.write(line)): Logger {
  const emit = (level: Level) => (message: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[level] < (ORDER[minimum] ?? 20)) return;
    const extra = Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}=${formatValue(v)}`).join('');
    write(`${new Date().toISOString()} ${level} ${printable(message)}${extra}\n`);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
