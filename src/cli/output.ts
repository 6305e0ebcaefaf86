import { stringify } from 'yaml';
import { UsageError } from './cli-errors.js';
import { printable } from '../log/printable.js';

export type OutputFormat = 'text' | 'json' | 'yaml';

export function parseFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === 'text' || value === 'table') return 'text';
  if (value === 'json' || value === 'yaml') return value;
  throw new UsageError(`-o must be json or yaml, not ${value}`);
}

/** A plain text table: columns padded to their widest cell, no borders; every cell escaped for the terminal. */
export function table(headers: string[], rawRows: string[][]): string {
  const rows = rawRows.map((row) => row.map((cell) => printable(cell ?? '')));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export function print(format: OutputFormat, value: unknown, text: () => string): void {
  if (format === 'json') process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  else if (format === 'yaml') process.stdout.write(Array.isArray(value) ? value.map((v) => stringify(v)).join('---\n') : stringify(value));
  else process.stdout.write(text());
}
