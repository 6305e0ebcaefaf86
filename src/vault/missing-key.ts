/**
 * A vault key file that went missing while secrets are sealed under it: a new key would
 * not open them, so nobody (neither `init` nor `doctor`) may suggest making one.
 */
import type { SealedSecret, SealedSecretOwner } from '../store/store.js';
import { sealedKeyId, VAULT_KEY_ENV } from './vault.js';

const NAMES_SHOWN = 5;

export function missingKeyText(keyFile: string, sealed: readonly SealedSecret[]): string {
  const ids = [...new Set(sealed.map((s) => sealedKeyId(s.sealed) ?? '?'))].join(', ');
  const owners = sealed.map((s) => ownerText(s.owner));
  const shown = owners.slice(0, NAMES_SHOWN).join(', ') + (owners.length > NAMES_SHOWN ? `, and ${owners.length - NAMES_SHOWN} more` : '');
  return `the vault key ${keyFile} is missing, and ${sealed.length} secret(s) are sealed under key ${ids} (${shown}); `
    + `a new key could not open them: restore the file from a backup, or set ${VAULT_KEY_ENV}`;
}

/** `credential db-key`, `TOTP of alice`; a kind of owner added later is shown by its kind. */
export function ownerText(owner: SealedSecretOwner): string {
  if (owner.kind === 'credential') return `credential ${owner.name}`;
  if (owner.kind === 'totp') return `TOTP of ${owner.user}`;
  return (owner as { kind: string }).kind;
}
