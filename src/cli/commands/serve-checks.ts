/**
 * What `serve` checks before it opens anything, and how it words a listener that cannot
 * start: every message names the setting or flag to change (`ssh.hostKeys`, `ssh.listen`,
 * `--listen`), never only Node's error code.
 */
import { existsSync } from 'node:fs';
import { readHostKey, type HostKey } from '../../data-dir/host-keys.js';
import { dataPath, SettingsError } from '../../config/load-settings.js';
import type { Settings } from '../../config/settings-schema.js';
import { reasonOf } from '../../runtime/file-errors.js';
import { loadVault } from '../../vault/vault.js';
import { Refused, UsageError } from '../cli-errors.js';

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+|[0-9A-Fa-f:]+):(\d{1,5})$/;

/** Bad usage, found before the data dir is touched: exit 2. */
export function checkAddressFlags(listen: readonly string[] | undefined, http: string | undefined): void {
  for (const address of listen ?? []) {
    if (!isHostPort(address)) throw new UsageError(`--listen must be HOST:PORT (such as 0.0.0.0:2222 or [::]:2222), not ${address}`);
  }
  if (http !== undefined && http !== '' && !isHostPort(http)) throw new UsageError(`--http must be HOST:PORT (such as 127.0.0.1:8022), or "" to disable it, not ${http}`);
}

function isHostPort(address: string): boolean {
  const match = HOST_PORT.exec(address);
  return match !== null && Number(match[2]) <= 65535;
}

/** The host keys, or a SettingsError naming `ssh.hostKeys` and the file. */
export function readHostKeys(dataDir: string, settings: Settings): HostKey[] {
  return settings.ssh.hostKeys.map((file) => {
    const full = dataPath(dataDir, file);
    try {
      return readHostKey(full);
    } catch (error) {
      const unreadable = !existsSync(full) || (error as NodeJS.ErrnoException).code !== undefined;
      const why = unreadable ? reasonOf(error) : 'not an OpenSSH private key';
      throw new SettingsError(`ssh.hostKeys: cannot use ${file} (${full}): ${why}; create it with: jumpgate init, or correct ssh.hostKeys in jumpgate.yaml`);
    }
  });
}

/** A listener that did not start: which address, from which setting, and what to do. */
export function listenFailure(error: unknown, source: string): Refused {
  const { address, port, code } = error as NodeJS.ErrnoException & { address?: string; port?: number };
  const where = address !== undefined && port !== undefined ? `${address.includes(':') ? `[${address}]` : address}:${port}` : 'the address';
  const why = code === 'EACCES' && port !== undefined && port < 1024
    ? 'permission denied: a port below 1024 needs root or the CAP_NET_BIND_SERVICE capability'
    : reasonOf(error);
  return new Refused(`cannot listen on ${where} (${source}): ${why}; choose another address with --listen HOST:PORT or ssh.listen in jumpgate.yaml`);
}

/**
 * Secrets cannot be opened without the vault key: the gateway still carries ProxyJump, so
 * it starts, but says at once what will fail instead of leaving it to the first login.
 */
export function vaultProblem(dataDir: string, settings: Settings): string | null {
  try {
    loadVault(dataPath(dataDir, settings.vault.keyFile));
    return null;
  } catch (error) {
    return `${(error as Error).message}; targets with a stored credential and TOTP second factors will fail until it is restored (jumpgate doctor says more)`;
  }
}

/**
 * Single sign-on set up in a way that cannot work yet: said at start, not at the first
 * person's sign-in. The provider itself is asked at the first sign-in (it may start later).
 */
export function identityProblems(dataDir: string, settings: Settings): string[] {
  const oidc = settings.identity.oidc;
  if (!oidc) return [];
  const problems: string[] = [];
  if (!settings.http.listen) problems.push('identity.oidc is set but http.listen is off: nobody can sign in');
  if (!settings.http.publicUrl) problems.push('identity.oidc is set without http.publicUrl: the redirect URI and approval links use the listen address; set http.publicUrl to the address people reach');
  if (oidc.clientSecretFile && !existsSync(dataPath(dataDir, oidc.clientSecretFile))) problems.push(`identity.oidc.clientSecretFile ${oidc.clientSecretFile} does not exist: single sign-on fails until it does`);
  return problems;
}
