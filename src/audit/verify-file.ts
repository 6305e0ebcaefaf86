import { readFileSync } from 'node:fs';

/** The events of an audit JSONL file, or the first line that is not JSON. */
export function readAuditFile(file: string): { ok: true; events: unknown[] } | { ok: false; line: number; reason: string } {
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const events: unknown[] = [];
  for (let i = 0; i < lines.length; i++) {
    try {
      events.push(JSON.parse(lines[i]));
    } catch {
      return { ok: false, line: i + 1, reason: 'not valid JSON' };
    }
  }
  return { ok: true, events };
}
