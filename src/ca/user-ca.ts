/**
 * jumpgate's user CA (SPEC §12): it signs the certificates `jumpgate login` writes to a
 * person's `~/.ssh`, for the key their laptop generated. Its key lives in the store sealed
 * by the vault (as the target CA's), so every node signs with one key and `vault rotate`
 * re-seals it; the gateway always trusts it. Certificates last `certificates.userTTL`, or
 * less when a role of the person says `certificateTTL`; a serial can be revoked.
 */
import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log.js';
import { parseDuration } from '../config/duration.js';
import { principalsOf, type Role, type User } from '../domain/resources.js';
import type { GatewayKeyStore } from '../store/store.js';
import { loadGatewayKey, type GatewayKeyDeps, type LoadedGatewayKey } from './gateway-key.js';
import { ED25519_CERT, signUserCertificate } from './user-certificate.js';

export const USER_CA_KEY = 'user-ca';

/** A person's certificate may reach targets through the gateway and open sessions on it. */
const EXTENSIONS = ['permit-port-forwarding', 'permit-pty', 'permit-agent-forwarding'];

export interface UserCaDeps extends GatewayKeyDeps {
  audit: Pick<AuditLog, 'record'>;
  /** `certificates.userTTL`. */
  ttlMs: number;
  now?: () => number;
}

export interface UserCertificate {
  /** `ssh-ed25519-cert-v01@openssh.com AAAA… key-id`: the `-cert.pub` file's line. */
  line: string;
  keyId: string;
  serial: string;
  principals: string[];
  validBefore: string;
}

/** The validity of a person's certificate: the setting, shortened by any role's `certificateTTL`. */
export function userCertificateTtlMs(settingMs: number, roles: readonly Role[]): number {
  return roles.reduce((ttl, role) => {
    const own = role.certificateTTL ? parseDuration(role.certificateTTL) : null;
    return own !== null && own < ttl ? own : ttl;
  }, settingMs);
}

/** The CA's public key blob, if it was ever made (no vault needed: the gateway only compares it). */
export async function userCaPublicBlob(gatewayKeys: Pick<GatewayKeyStore, 'get'>): Promise<Buffer | null> {
  const stored = await gatewayKeys.get(USER_CA_KEY);
  if (!stored) return null;
  const base64 = stored.publicKey.split(/\s+/)[1];
  return base64 ? Buffer.from(base64, 'base64') : null;
}

export class UserCa {
  #ca: Promise<LoadedGatewayKey> | null = null;

  constructor(private readonly deps: UserCaDeps) {}

  private load(): Promise<LoadedGatewayKey> {
    this.#ca ??= loadGatewayKey(this.deps, USER_CA_KEY, 'jumpgate user CA').then(async (loaded) => {
      if (loaded.created) await this.deps.audit.record({ type: 'config.change', user: null, src: null, action: 'create', kind: 'UserCA', name: loaded.fingerprint });
      return loaded;
    });
    this.#ca.catch(() => { this.#ca = null; });
    return this.#ca;
  }

  async publicKeyLine(): Promise<string> {
    return (await this.load()).publicLine;
  }

  /**
   * A certificate for `user`'s Ed25519 public key (a plain key blob), whose principals are
   * the user's; `certificate.issue` is committed before it is returned.
   */
  async issue(user: User, roles: readonly Role[], publicKey: Buffer, context: { src: string | null; approval: string }): Promise<UserCertificate> {
    const ca = await this.load();
    const now = Math.floor((this.deps.now?.() ?? Date.now()) / 1000);
    const ttlSeconds = Math.max(1, Math.round(userCertificateTtlMs(this.deps.ttlMs, roles) / 1000));
    // A little backdating, as ssh-keygen -V -1m does: a laptop clock slightly behind still accepts it.
    const validAfter = BigInt(now - 60);
    const validBefore = BigInt(now + ttlSeconds);
    // Never 0: OpenSSH's KRL and `ssh-keygen -z` treat serial 0 as "no serial".
    const serial = (randomBytes(8).readBigUInt64BE() >> 1n) + 1n;
    const keyId = `jumpgate-login ${user.name} ${context.approval}`;
    const principals = principalsOf(user);
    const certificate = signUserCertificate(ca.key, {
      publicKey, serial, keyId, principals, validAfter, validBefore, extensions: EXTENSIONS, nonce: randomBytes(32),
    });
    const validBeforeText = new Date(Number(validBefore) * 1000).toISOString();
    await this.deps.audit.record({
      type: 'certificate.issue', user: user.name, src: context.src, principals, key_id: keyId, serial: serial.toString(),
      valid_after: new Date(Number(validAfter) * 1000).toISOString(), valid_before: validBeforeText, ca: ca.fingerprint,
    });
    return { line: `${ED25519_CERT} ${certificate.toString('base64')} ${user.name}@jumpgate`, keyId, serial: serial.toString(), principals, validBefore: validBeforeText };
  }
}
