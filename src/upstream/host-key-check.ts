/**
 * Host keys of hops and targets the gateway logs into itself. A pinned `hostKey` is
 * enforced; otherwise the first key seen is recorded and enforced from then on (TOFU).
 */
import type { HostKeyStore } from '../store/store.js';
import type { Target } from '../domain/resources.js';

export type HostKeyVerdict =
  | { ok: true; learnt: boolean }
  | { ok: false; expected: string; presented: string };

export async function checkHostKey(store: HostKeyStore, target: Target, presented: { fingerprint: string; type: string }): Promise<HostKeyVerdict> {
  if (target.hostKey) {
    return target.hostKey.replace(/=+$/, '') === presented.fingerprint
      ? { ok: true, learnt: false }
      : { ok: false, expected: target.hostKey, presented: presented.fingerprint };
  }
  // One atomic step: two gateways meeting a new target at once learn one key, not each their own.
  const now = new Date().toISOString();
  const { known, learnt } = await store.learn({ name: target.name, fingerprint: presented.fingerprint, keyType: presented.type, firstSeen: now, updatedAt: now });
  return known.fingerprint === presented.fingerprint ? { ok: true, learnt } : { ok: false, expected: known.fingerprint, presented: presented.fingerprint };
}
