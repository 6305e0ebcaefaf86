/**
 * `jumpgate audit verify`. The chain of record is the store's: every stored body is parsed,
 * its hash recomputed and checked against its place in the chain and against the hash column.
 * This node's audit files (the rotated ones and the current one) are a second copy: every line
 * must be exactly the bytes the gateway writes (so a reformatted line, an escape spelled
 * differently or a duplicated key is caught, not only a changed value), hash to its own
 * `hash`, and match the store's event of that id; and every event this node committed must be
 * in them exactly once. Lines may follow each other in another order than the chain (several
 * processes of one node append after their own commits): the chain's order lives in `prev`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AuditRow, AuditStore } from '../store/store.js';
import type { AuditEvent } from './events.js';
import { GENESIS, hashEvent } from './hash-chain.js';

export type AuditVerdict =
  | { ok: true; storeEvents: number; fileEvents: number; files: string[]; head: string }
  | { ok: false; where: string; id: string | null; reason: string };

/** How many stored rows one read takes. */
const BATCH = 5000;

/** The rotated files (`audit-<time>-<n>.log`) in time order, then the current file. */
export function auditFiles(current: string): string[] {
  const { dir, name, ext } = path.parse(current);
  const rotated = readdirSync(dir).filter((f) => f.startsWith(`${name}-`) && f.endsWith(ext)).sort();
  return [...rotated.map((f) => path.join(dir, f)), current];
}

/** Why a serialized event is not one the gateway could have written, or null. */
export function eventTextProblem(text: string): { id: string | null; reason: string; event?: AuditEvent } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { id: null, reason: 'not valid JSON' };
  }
  const event = parsed as Partial<AuditEvent>;
  const id = typeof event?.id === 'string' ? event.id : null;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || typeof event.hash !== 'string' || typeof event.prev !== 'string' || id === null) {
    return { id, reason: 'not an audit event (no id, hash or prev)' };
  }
  // JSON.stringify of what was parsed gives back the exact text the gateway wrote; anything
  // else (spacing, another escape for the same character, a key given twice) was edited.
  if (JSON.stringify(parsed) !== text) return { id, reason: 'not as written (reformatted, re-escaped or a key repeated)' };
  if (hashEvent(event as AuditEvent) !== event.hash) return { id, reason: 'hash mismatch (event altered)' };
  return { id, reason: '', event: event as AuditEvent };
}

interface FileEntry { hash: string; file: number; line: number }

export async function verifyAudit(store: Pick<AuditStore, 'rows'>, currentFile: string, node: string): Promise<AuditVerdict> {
  const files = auditFiles(currentFile);
  const inFiles = new Map<string, FileEntry>();
  for (const [fileIndex, file] of files.entries()) {
    const lines = readFileSync(file, 'utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    for (const [index, line] of lines.entries()) {
      const where = `${file}:${index + 1}`;
      const checked = eventTextProblem(line);
      if (!checked.event) return { ok: false, where, id: checked.id, reason: checked.reason };
      const seen = inFiles.get(checked.event.id);
      if (seen) return { ok: false, where, id: checked.event.id, reason: `the event is also at ${files[seen.file]}:${seen.line}` };
      inFiles.set(checked.event.id, { hash: checked.event.hash, file: fileIndex, line: index + 1 });
    }
  }
  const fileEvents = inFiles.size;

  let prev = GENESIS;
  let count = 0;
  // Where this node's previous event is in the files: a missing event belongs after it.
  let lastPlace = files.length > 0 ? `at the start of ${files[0]}` : 'in the files';
  for (let after = 0; ;) {
    const rows = await store.rows(after, BATCH);
    if (rows.length === 0) break;
    for (const row of rows) {
      const broken = checkStoredRow(row, prev);
      if (broken) return { ok: false, where: `the store, event #${row.seq}`, id: row.id, reason: broken };
      prev = row.hash;
      count += 1;
      if (row.node !== node) continue;
      const copy = inFiles.get(row.id);
      if (!copy) return { ok: false, where: `the store, event #${row.seq}`, id: row.id, reason: `written by this node (${node}) but missing from its audit files (expected ${lastPlace})` };
      if (copy.hash !== row.hash) return { ok: false, where: `${files[copy.file]}:${copy.line}`, id: row.id, reason: 'differs from the store\'s event' };
      inFiles.delete(row.id);
      lastPlace = `after ${files[copy.file]}:${copy.line}`;
    }
    after = rows[rows.length - 1].seq;
  }
  const stray = [...inFiles.entries()][0];
  if (stray) {
    const [id, entry] = stray;
    return { ok: false, where: `${files[entry.file]}:${entry.line}`, id, reason: 'the store does not hold this event (removed from the store, or added to the file)' };
  }
  return { ok: true, storeEvents: count, fileEvents, files, head: prev };
}

function checkStoredRow(row: AuditRow, prev: string): string | null {
  const checked = eventTextProblem(row.body);
  if (!checked.event) return checked.reason;
  const event = checked.event;
  if (event.id !== row.id || event.hash !== row.hash || (row.node !== null && event.node !== row.node)) return 'the row\'s columns disagree with its body';
  if (event.prev !== prev) return 'prev does not match the hash of the event before it (removed or reordered)';
  return null;
}
