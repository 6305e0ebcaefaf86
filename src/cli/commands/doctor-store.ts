/**
 * `doctor` checks that need the store: the vault key against the secrets sealed under it,
 * and the references between resources (a role, credential or jump host named but gone).
 */
import { existsSync } from 'node:fs';
import type { Stores } from '../../store/store.js';
import { loadVault, sealedKeyId, VAULT_KEY_ENV } from '../../vault/vault.js';
import { missingKeyText, ownerText } from '../../vault/missing-key.js';
import { findReferenceProblems, storeView } from '../../resources/references.js';
import type { Finding } from './doctor-finding.js';

export async function vaultFindings(stores: Stores, keyFile: string): Promise<Finding[]> {
  const sealed = await stores.sealedSecrets.list();
  if (!process.env[VAULT_KEY_ENV] && !existsSync(keyFile)) {
    return sealed.length > 0
      ? [{ level: 'fail', what: missingKeyText(keyFile, sealed) }]
      : [{ level: 'fail', what: `vault key ${keyFile} is missing`, fix: 'run: jumpgate init (nothing is sealed yet, so a new key loses nothing)' }];
  }
  let vault;
  try {
    vault = loadVault(keyFile);
  } catch (error) {
    return [{ level: 'fail', what: `vault: ${(error as Error).message}`, fix: `restore ${keyFile} from a backup` }];
  }
  const unopened = sealed.filter((secret) => !vault.holdsKey(sealedKeyId(secret.sealed) ?? ''));
  if (unopened.length > 0) {
    return [{ level: 'fail', what: `the vault key file does not hold the key of ${unopened.length} of ${sealed.length} sealed secret(s): ${unopened.map((s) => ownerText(s.owner)).join(', ')}`, fix: 'restore the vault key they were sealed under, or set them again (jumpgate credential set, jumpgate user totp --replace)' }];
  }
  return [{ level: 'ok', what: sealed.length === 0 ? 'vault key loads; no secret is sealed yet' : `vault key opens all ${sealed.length} sealed secret(s)` }];
}

export async function referenceFindings(stores: Stores): Promise<Finding[]> {
  const view = await storeView(stores);
  const everything = new Set([...[...view.users.keys()].map((name) => `User/${name}`), ...[...view.targets.keys()].map((name) => `Target/${name}`)]);
  const problems = findReferenceProblems(view, everything);
  if (problems.length === 0) return [{ level: 'ok', what: 'every role, credential and jump host named by a resource exists' }];
  return problems.map((p) => ({ level: 'fail', what: `${p.kind} ${p.name}: ${p.message}`, fix: `correct it: jumpgate ${p.kind.toLowerCase()} set ${p.name} …, or apply the missing resource` }));
}
