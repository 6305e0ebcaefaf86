/**
 * `credential rotate` (SPEC §12): a new key pair for a `privateKey` credential. On every
 * target that uses it, the new public key is appended to the login's authorized_keys (over
 * a login with the old key) and a login with the new key is verified; then the vault entry
 * is switched, and the old key is removed (over a login with the new key). New logins work
 * at every moment: each target accepts both keys from the append until the removal. If a
 * target cannot be updated, the rotation is undone everywhere: the new key removed again,
 * the vault unchanged. `credential.rotate` records the outcome either way.
 */
import ssh2 from 'ssh2';
import type { AuditLog } from '../audit/audit-log.js';
import type { Stores } from '../store/store.js';
import type { Target } from '../domain/resources.js';
import type { StoredCredential } from '../domain/credential.js';
import type { Vault } from '../vault/vault.js';
import type { UpstreamPool, FailureReport } from '../upstream/upstream-pool.js';
import type { LoginCredential } from '../upstream/login-credential.js';
import { Secret } from '../vault/secret.js';
import { credentialFromSecret, openCredential } from '../resources/credential-secret.js';
import { fingerprint, publicKeyBlob } from '../domain/ssh-public-key.js';
import { appendKeyCommand, removeKeyCommand, runOn } from './authorized-keys.js';

/** How long a rotation may hold its lease: ample for many targets, and freed if a node dies mid-way. */
export const ROTATION_LEASE_MS = 15 * 60_000;

export interface RotationDeps {
  stores: Pick<Stores, 'credentials' | 'targets' | 'leases' | 'applyChanges'>;
  audit: Pick<AuditLog, 'record' | 'recordChange'>;
  vault(): Vault;
  upstream: Pick<UpstreamPool, 'openWith'>;
  /** Who rotates, for the events: the operator, or null for the schedule. */
  actor: string | null;
  /** Names this process in the lease (node and pid). */
  holder: string;
  /** Time allowed to each command on a target. */
  commandTimeoutMs: number;
  report: FailureReport;
}

export type RotationResult =
  | { ok: true; credential: string; targets: string[]; oldKey: string; newKey: string }
  /** `target`: the one that failed (null when nothing was tried, e.g. busy or not rotatable). */
  | { ok: false; credential: string; target: string | null; why: string }
  /** The precondition no longer held once the lease was taken (another node rotated it). */
  | { ok: false; credential: string; target: null; why: string; skipped: true };

export function rotationLeaseName(credential: string): string {
  return `rotate:${credential}`;
}

/**
 * `onlyIf` is checked on the stored credential once the lease is held: the schedule's "still
 * due?", so a node that waited for another's rotation does not rotate the key again.
 */
export async function rotateCredential(deps: RotationDeps, name: string, onlyIf?: (stored: StoredCredential) => boolean): Promise<RotationResult> {
  const refuse = (why: string): RotationResult => ({ ok: false, credential: name, target: null, why });
  const stored = await deps.stores.credentials.get(name);
  if (!stored) return refuse(`no credential named ${name}`);
  if (stored.type !== 'privateKey' || !stored.publicKey) return refuse(`credential ${name} is of type ${stored.type}; only privateKey credentials are rotated`);
  const lease = rotationLeaseName(name);
  if (!(await deps.stores.leases.acquire(lease, deps.holder, new Date(), ROTATION_LEASE_MS))) return refuse(`a rotation of ${name} is already running`);
  try {
    const current = await deps.stores.credentials.get(name);
    if (!current || current.type !== 'privateKey' || !current.publicKey) return refuse(`credential ${name} changed while its rotation waited`);
    if (onlyIf && !onlyIf(current)) return { ok: false, credential: name, target: null, why: 'no longer due', skipped: true };
    return await rotateHeld(deps, current);
  } finally {
    await deps.stores.leases.release(lease, deps.holder);
  }
}

async function rotateHeld(deps: RotationDeps, stored: StoredCredential): Promise<RotationResult> {
  const name = stored.name;
  const targets = (await deps.stores.targets.list()).filter((t) => t.credential === name);
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: `jumpgate:${name}` });
  const newLine = pair.public.trim();
  const newBase64 = newLine.split(' ')[1];
  const oldBase64 = stored.publicKey!.split(' ')[1];
  const oldKey = fingerprint(publicKeyBlob(stored.publicKey!)!);
  const newKey = fingerprint(publicKeyBlob(newLine)!);
  const oldLogin = openCredential(deps.vault(), stored);
  const newLogin: LoginCredential = { type: 'privateKey', secret: new Secret(pair.private) };
  const names = targets.map((t) => t.name);

  // 1. Append and verify, target by target; the first failure stops and undoes.
  const installed: Target[] = [];
  let failure: { target: string; why: string } | null = null;
  for (const target of targets) {
    try {
      await runChecked(deps, target, oldLogin, appendKeyCommand(newLine, newBase64), 'adding the new key');
      installed.push(target);
      await runChecked(deps, target, newLogin, 'true', 'logging in with the new key');
    } catch (error) {
      failure = { target: target.name, why: (error as Error).message };
      break;
    }
  }
  if (failure) {
    const undo = await removeEverywhere(deps, installed, oldLogin, newBase64);
    const why = undo.length > 0 ? `${failure.why}; the new key could not be removed again from ${undo.join(', ')}` : failure.why;
    await deps.audit.record({
      type: 'credential.rotate', user: deps.actor, src: null, credential: name, outcome: 'failed', targets: names, old_key: oldKey, new_key: newKey,
      target: failure.target, why,
    });
    return { ok: false, credential: name, target: failure.target, why };
  }

  // 2. The switch, with its event in the same transaction: from here on logins use the new key.
  const next: StoredCredential = {
    ...credentialFromSecret(deps.vault(), name, 'privateKey', Buffer.from(pair.private)),
    ...(stored.rotateEvery ? { rotateEvery: stored.rotateEvery } : {}),
    rotatedAt: new Date().toISOString(),
  };
  await deps.audit.recordChange(
    [{ type: 'credential.rotate', user: deps.actor, src: null, credential: name, outcome: 'rotated', targets: names, old_key: oldKey, new_key: newKey }],
    (changeAudit) => deps.stores.applyChanges([{ op: 'put', resource: next }], changeAudit),
  );

  // 3. The old key removed, over logins with the new one.
  const left = await removeEverywhere(deps, targets, newLogin, oldBase64);
  if (left.length > 0) {
    const why = `the old key could not be removed from ${left.join(', ')}`;
    await deps.audit.record({
      type: 'credential.rotate', user: deps.actor, src: null, credential: name, outcome: 'old key left', targets: names, old_key: oldKey, new_key: newKey,
      target: left[0], why,
    });
    return { ok: false, credential: name, target: left[0], why: `rotated, but ${why}` };
  }
  return { ok: true, credential: name, targets: names, oldKey, newKey };
}

/** Runs a command on the target as its login with `credential`; throws with what failed. */
async function runChecked(deps: RotationDeps, target: Target, credential: LoginCredential, command: string, what: string): Promise<void> {
  let login;
  try {
    login = await deps.upstream.openWith(target, credential, deps.report);
  } catch (error) {
    throw new Error(`${what}: ${(error as Error).message}`);
  }
  try {
    const result = await runOn(login.client, command, deps.commandTimeoutMs);
    if (result.code !== 0) throw new Error(`${what}: ${result.stderr || `exit status ${String(result.code)}`}`);
  } finally {
    login.client.end();
  }
}

/** Removes a key from each target's authorized_keys; the names of those where it failed. */
async function removeEverywhere(deps: RotationDeps, targets: readonly Target[], credential: LoginCredential, base64: string): Promise<string[]> {
  const failed: string[] = [];
  for (const target of targets) {
    try {
      await runChecked(deps, target, credential, removeKeyCommand(base64), 'removing a key');
    } catch {
      failed.push(target.name);
    }
  }
  return failed;
}
