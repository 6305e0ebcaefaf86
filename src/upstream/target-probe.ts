/**
 * `target test` and `target trust` (CLI and HTTP API): walking a target's chain with the
 * stored credentials, hop by hop, on a pool of their own so every hop is really dialled.
 */
import type { Target } from '../domain/resources.js';
import type { Stores } from '../store/store.js';
import type { AuditLog } from '../audit/audit-log.js';
import { TargetUnreachable, type DialAttemptFailure, type FailureReport, type UpstreamPool } from './upstream-pool.js';

export interface HopReport { hop: string; address: string; latencyMs: number; hostKey: string; loggedIn: boolean }

export type ProbeResult =
  | { ok: true; hops: HopReport[] }
  /** `attempts`: every failed attempt; `failure`: the last, with the expected and presented keys when a host key changed. */
  | { ok: false; hops: HopReport[]; attempts: DialAttemptFailure[]; failure: DialAttemptFailure | null; message: string };

/** Connects to every hop and the target in turn; the pool is closed afterwards. */
export async function probeTarget(pool: UpstreamPool, target: Target, report: FailureReport, onHop?: (hop: HopReport) => void): Promise<ProbeResult> {
  const hops: HopReport[] = [];
  try {
    await pool.connectAll(target, report, (hop, connection) => {
      const entry = { hop: hop.name, address: connection.address, latencyMs: connection.latencyMs, hostKey: connection.hostKey.fingerprint, loggedIn: connection.authenticated };
      hops.push(entry);
      onHop?.(entry);
    });
    return { ok: true, hops };
  } catch (error) {
    if (error instanceof TargetUnreachable) return { ok: false, hops, attempts: error.attempts, failure: error.attempts.at(-1) ?? null, message: error.message };
    throw error;
  } finally {
    await pool.closeAll();
  }
}

export class TrustRefused extends Error {}

/**
 * Forgets the known key of the named target only, learns it again through its (still
 * verified) chain, and records who did it; without its event, the old key comes back.
 */
export async function trustTargetKey(
  deps: { stores: Pick<Stores, 'hostKeys'>; audit: AuditLog; pool: UpstreamPool },
  target: Target,
  who: { user: string; src: string | null },
): Promise<{ fingerprint: string | null; previous: string | null }> {
  const { stores, audit, pool } = deps;
  if (target.hostKey) throw new TrustRefused(`${target.name} has a pinned hostKey in its resource; change it there`);
  const before = await stores.hostKeys.get(target.name);
  await stores.hostKeys.delete(target.name);
  try {
    await pool.connectAll(target, () => {}, () => {});
  } catch (error) {
    if (before) await stores.hostKeys.put(before);
    throw new TrustRefused(error instanceof Error ? error.message : String(error));
  } finally {
    await pool.closeAll();
  }
  const after = await stores.hostKeys.get(target.name);
  try {
    await audit.record({ type: 'config.change', user: who.user, src: who.src, action: 'update', kind: 'HostKey', name: target.name });
  } catch (error) {
    await stores.hostKeys.delete(target.name);
    if (before) await stores.hostKeys.put(before);
    throw error;
  }
  return { fingerprint: after?.fingerprint ?? null, previous: before?.fingerprint ?? null };
}
