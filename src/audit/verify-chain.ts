/**
 * `jumpgate audit verify`: the hash chain across the rotated files and the current one,
 * and the store against the files (same events, same order, same hashes).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { AuditEvent } from './events.js';
import { readAuditFile } from './verify-file.js';
import { findChainBreak, GENESIS } from './hash-chain.js';

export type ChainVerdict =
  | { ok: true; events: number; files: string[]; head: string }
  | { ok: false; file: string; line: number; id: string | null; reason: string };

/** The rotated files (`audit-<time>.log`) in chain order, then the current file. */
export function auditFiles(current: string): string[] {
  const { dir, name, ext } = path.parse(current);
  const rotated = readdirSync(dir).filter((f) => f.startsWith(`${name}-`) && f.endsWith(ext)).sort();
  return [...rotated.map((f) => path.join(dir, f)), current];
}

export function verifyChainFiles(current: string): ChainVerdict & { events?: number } {
  const files = auditFiles(current);
  let prev = GENESIS;
  let count = 0;
  for (const file of files) {
    const read = readAuditFile(file);
    if (!read.ok) return { ok: false, file, line: read.line, id: null, reason: read.reason };
    const broken = findChainBreak(read.events, prev);
    if (broken) return { ok: false, file, line: broken.index + 1, id: broken.id, reason: broken.reason };
    if (read.events.length > 0) prev = (read.events[read.events.length - 1] as AuditEvent).hash;
    count += read.events.length;
  }
  return { ok: true, events: count, files, head: prev };
}

/** The first place where the store's events differ from the files', or null. */
export function compareStoreToFiles(fileEvents: readonly AuditEvent[], storeEvents: readonly AuditEvent[]): string | null {
  const length = Math.max(fileEvents.length, storeEvents.length);
  for (let i = 0; i < length; i++) {
    const a = fileEvents[i];
    const b = storeEvents[i];
    if (!a) return `the store has event ${b.id} (#${i + 1}) that the audit files lack`;
    if (!b) return `the audit files have event ${a.id} (#${i + 1}) that the store lacks`;
    if (a.id !== b.id || a.hash !== b.hash) return `event #${i + 1} differs: file ${a.id} ${a.hash.slice(0, 12)}…, store ${b.id} ${b.hash.slice(0, 12)}…`;
  }
  return null;
}
