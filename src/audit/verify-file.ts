import { readFileSync } from 'node:fs';
import { findChainBreak, GENESIS } from './hash-chain.js';

export type FileVerdict =
  | { ok: true; events: number }
  | { ok: false; line: number; id: string | null; reason: string };

/** Checks the hash chain of an audit JSONL file from its first line. */
export function verifyAuditFile(file: string): FileVerdict {
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const events: unknown[] = [];
  for (let i = 0; i < lines.length; i++) {
    try {
      events.push(JSON.parse(lines[i]));
    } catch {
      return { ok: false, line: i + 1, id: null, reason: 'not valid JSON' };
    }
  }
  // The file starts the chain, so its first event must follow GENESIS (a removed head is caught).
  const broken = findChainBreak(events, GENESIS);
  if (broken) return { ok: false, line: broken.index + 1, id: broken.id, reason: broken.reason };
  return { ok: true, events: events.length };
}
