/**
 * A vault key file that went missing while secrets are sealed under it: a new key would
 * not open them, so nobody (neither `init` nor `doctor`) may suggest making one.
 */
import type { SealedSecret } from '../store/store.js';
import { sealedKeyId, VAULT_KEY_ENV } from './vault.js';

const NAMES_SHOWN = 5;

export function missingKeyText(keyFile: string, sealed: readonly SealedSecret[]): string {
  const ids = [...new Set(sealed.map((s) => sealedKeyId(s.sealed) ?? '?'))].join(', ');
  const owners = sealed.map((s) => (s.owner.kind === 'credential' ? `credential ${s.owner.name}` : `TOTP of ${s.owner.user}`));
  const shown = owners.slice(0, NAMES_SHOWN).join(', ') + (owners.length > NAMES_SHOWN ? `, and ${owners.length - NAMES_SHOWN} more` : '');
  return `the vault key ${keyFile} is missing, and ${sealed.length} secret(s) are sealed under key ${ids} (${shown}); `
    + `a new key could not open them: restore the file from a backup, or set ${VAULT_KEY_ENV}`;
}
