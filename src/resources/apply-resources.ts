/**
 * `jumpgate apply`: validates a whole batch (schemas, references, secrets readable),
 * then writes it in one transaction and audits each change. Nothing is written when
 * anything is wrong.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { reasonOf } from '../runtime/file-errors.js';
import { isDeepStrictEqual } from 'node:util';
import type { Stores, ResourceChange } from '../store/store.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { ParsedResource, YamlError } from '../domain/resource-yaml.js';
import { ResourceFileError } from '../domain/resource-yaml.js';
import type { CredentialSpec, Resource } from '../domain/resources.js';
import type { StoredCredential } from '../domain/credential.js';
import { findReferenceProblems } from './references.js';
import { credentialFromSecret } from './credential-secret.js';
import type { Vault } from '../vault/vault.js';

export type ChangeAction = 'created' | 'updated' | 'unchanged';
export interface AppliedChange { kind: string; name: string; action: ChangeAction }

export interface ApplyDeps {
  stores: Stores;
  audit: AuditLog;
  vault: () => Vault;
  /** Who applies, for `config.change` events. */
  actor: string;
}

export async function applyResources(deps: ApplyDeps, parsed: readonly ParsedResource[], baseDir: string): Promise<AppliedChange[]> {
  const { stores } = deps;
  const [users, targets, roles, credentials] = await Promise.all([stores.users.list(), stores.targets.list(), stores.roles.list(), stores.credentials.list()]);
  const existing = new Map<string, unknown>([
    ...users.map((r) => [`User/${r.name}`, r] as const),
    ...targets.map((r) => [`Target/${r.name}`, r] as const),
    ...roles.map((r) => [`Role/${r.name}`, r] as const),
    ...credentials.map((r) => [`Credential/${r.name}`, r] as const),
  ]);

  const errors: YamlError[] = [];
  const toWrite: Array<{ entry: ParsedResource; stored: Resource | StoredCredential }> = [];
  for (const entry of parsed) {
    if (entry.resource.kind !== 'Credential') {
      toWrite.push({ entry, stored: entry.resource });
      continue;
    }
    try {
      toWrite.push({ entry, stored: sealCredentialSpec(deps.vault(), entry.resource, baseDir, credentials.find((c) => c.name === entry.resource.name)) });
    } catch (error) {
      errors.push({ file: entry.file, line: entry.line, message: `Credential ${entry.resource.name}: ${(error as Error).message}` });
    }
  }

  const view = {
    users: new Map(users.map((u) => [u.name, u])),
    targets: new Map(targets.map((t) => [t.name, t])),
    roles: new Map(roles.map((r) => [r.name, r])),
    credentials: new Set(credentials.map((c) => c.name)),
  };
  for (const { stored } of toWrite) {
    if (stored.kind === 'User') view.users.set(stored.name, stored);
    else if (stored.kind === 'Target') view.targets.set(stored.name, stored);
    else if (stored.kind === 'Role') view.roles.set(stored.name, stored);
    else view.credentials.add(stored.name);
  }
  const lineOf = new Map(parsed.map((p) => [`${p.resource.kind}/${p.resource.name}`, p]));
  for (const problem of findReferenceProblems(view, new Set(lineOf.keys()))) {
    const at = lineOf.get(`${problem.kind}/${problem.name}`);
    errors.push({ file: at?.file ?? '-', line: at?.line ?? 0, message: `${problem.kind} ${problem.name}: ${problem.message}` });
  }
  if (errors.length > 0) throw new ResourceFileError(errors);

  const results: AppliedChange[] = [];
  const changes: ResourceChange[] = [];
  for (const { stored } of toWrite) {
    const key = `${stored.kind}/${stored.name}`;
    const before = existing.get(key);
    const action: ChangeAction = before === undefined ? 'created' : sameResource(before, stored) ? 'unchanged' : 'updated';
    results.push({ kind: stored.kind, name: stored.name, action });
    if (action !== 'unchanged') changes.push({ op: 'put', resource: stored });
  }
  const events = results.filter((change) => change.action !== 'unchanged').map((change) => ({
    type: 'config.change' as const, user: deps.actor, src: null, action: change.action === 'created' ? 'create' as const : 'update' as const, kind: change.kind, name: change.name,
  }));
  await deps.audit.recordChange(events, (changeAudit) => stores.applyChanges(changes, changeAudit));
  return results;
}

/** Credentials compare by everything but the envelope, whose nonce differs every time. */
function sameResource(before: unknown, after: Resource | StoredCredential): boolean {
  if (after.kind === 'Credential') return false;
  return isDeepStrictEqual(before, after);
}

function sealCredentialSpec(vault: Vault, spec: CredentialSpec, baseDir: string, before: StoredCredential | undefined): StoredCredential {
  const updatedAt = new Date().toISOString();
  if (spec.type === 'certificate' || spec.type === 'agent') return { kind: 'Credential', name: spec.name, type: spec.type, updatedAt };
  const rotation = spec.rotateEvery ? { rotateEvery: spec.rotateEvery, ...(before?.rotatedAt ? { rotatedAt: before.rotatedAt } : {}) } : {};
  if (!spec.secretFile) {
    // A schedule added to a stored key (set with `credential set`, or rotated since) keeps that key.
    if (before && before.type === spec.type && before.sealed) return { ...before, rotateEvery: spec.rotateEvery, updatedAt };
    throw new Error('secretFile is required (or use: jumpgate credential set)');
  }
  const file = path.resolve(baseDir, spec.secretFile);
  let secret: Buffer;
  try {
    secret = readFileSync(file);
  } catch (error) {
    throw new Error(`cannot read secretFile ${spec.secretFile}: ${reasonOf(error)}`);
  }
  const passphrase = spec.passphraseFile ? readFileSync(path.resolve(baseDir, spec.passphraseFile), 'utf8').trim() : undefined;
  return { ...credentialFromSecret(vault, spec.name, spec.type, secret, passphrase), ...rotation };
}
