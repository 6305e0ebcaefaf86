/**
 * The tamper-evident chain of SPEC §6: each event's `hash` is SHA-256 over the previous
 * event's hash and the event's canonical JSON (keys sorted, `hash` left out, `prev`
 * included). Altering, removing or reordering any event breaks every hash after it.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { AuditDraft, AuditEvent } from './events.js';

/** The `prev` of the first event in a chain. */
export const GENESIS = '0'.repeat(64);

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function hashEvent(event: Omit<AuditEvent, 'hash'> | AuditEvent): string {
  const { hash: _ignored, ...rest } = event as AuditEvent;
  return createHash('sha256').update(rest.prev).update('\n').update(canonicalJson(rest)).digest('hex');
}

export function sealEvent(draft: AuditDraft, prev: string, node: string, now = new Date()): AuditEvent {
  const unsealed = { ts: now.toISOString(), id: randomUUID(), node, ...draft, prev } as Omit<AuditEvent, 'hash'>;
  return { ...unsealed, hash: hashEvent(unsealed) } as AuditEvent;
}

export type ChainBreak = { index: number; id: string | null; reason: string };

/** Checks a sequence of events; returns the first break, or null when the chain holds. */
export function findChainBreak(events: readonly unknown[], expectedPrev: string | null = null): ChainBreak | null {
  let prev = expectedPrev;
  for (let index = 0; index < events.length; index++) {
    const event = events[index] as Partial<AuditEvent>;
    const id = typeof event?.id === 'string' ? event.id : null;
    if (typeof event !== 'object' || event === null || typeof event.hash !== 'string' || typeof event.prev !== 'string') {
      return { index, id, reason: 'not an audit event (no hash or prev)' };
    }
    if (prev !== null && event.prev !== prev) return { index, id, reason: 'prev does not match the hash of the event before it (removed or reordered)' };
    if (hashEvent(event as AuditEvent) !== event.hash) return { index, id, reason: 'hash mismatch (event altered)' };
    prev = event.hash;
  }
  return null;
}
