/**
 * What the store contract suite needs from an implementation: a fresh, empty place (a SQLite
 * file, a PostgreSQL database) on which it can open several store instances, as several
 * processes or nodes would. The same tests then run over every implementation.
 */
import type { Stores } from '../store.js';
import type { AuditDraft, AuditEvent } from '../../audit/events.js';
import { sealEvent } from '../../audit/hash-chain.js';

export interface StorePlace {
  /** Opens one more store instance (its own connections) on this place. */
  open(): Promise<Stores>;
}

export interface StoreHarness {
  /** A new empty place; `label` names it after the test, for whoever reads a leftover. */
  fresh(label: string): Promise<StorePlace>;
}

/** Time allowed to one contract test; the concurrency tests open several instances. */
export const CONTRACT_TIMEOUT_MS = 30_000;

/** Opens `count` instances on one fresh place, runs `work` with them, and closes every one whatever happened. */
export async function withStores<T>(harness: StoreHarness, label: string, count: number, work: (stores: Stores[]) => Promise<T>): Promise<T> {
  const place = await harness.fresh(label);
  const opened: Stores[] = [];
  try {
    for (let i = 0; i < count; i++) opened.push(await place.open());
    return await work(opened);
  } finally {
    await Promise.allSettled(opened.map((stores) => stores.close()));
  }
}

/** What `AuditLog` passes to the store: a pure seal on the head it is given, as node `node`. */
export function sealAs(node: string): (draft: AuditDraft, prev: string) => AuditEvent {
  return (draft, prev) => sealEvent(draft, prev, node);
}

export function changeDraft(name: string, action: 'create' | 'update' | 'delete' = 'update'): AuditDraft {
  return { type: 'config.change', user: 'cli:contract', src: null, action, kind: 'Target', name };
}
