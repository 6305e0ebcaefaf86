/**
 * jumpgate's target CA (SPEC §12): for every login to a target whose credential is of
 * `type: certificate`, a fresh Ed25519 key and a user certificate for it, valid
 * `certificates.targetTTL`, whose only principal is the login. Targets trust the CA with
 * `TrustedUserCAKeys` (the line `jumpgate ca target-key` prints) and hold no key of ours.
 */
import { randomBytes } from 'node:crypto';
import ssh2, { type ParsedKey } from 'ssh2';
import type { AuditLog } from '../audit/audit-log.js';
import { parseSshKey } from '../domain/ssh-public-key.js';
import { loadGatewayKey, type GatewayKeyDeps, type LoadedGatewayKey } from './gateway-key.js';
import { signUserCertificate } from './user-certificate.js';

export const TARGET_CA_KEY = 'target-ca';

/**
 * What a certificate allows on the target beyond the login. A hop's login needs port
 * forwarding (every channel through it is a `direct-tcpip`); a session's needs a terminal,
 * and agent and port forwarding only where the rule relays them.
 */
export type CertificatePermission = 'permit-pty' | 'permit-port-forwarding' | 'permit-agent-forwarding';

export interface CertificateSubject {
  target: string;
  login: string;
  /** The person the login is for; null for a hop connection shared by everyone, or the CLI. */
  user: string | null;
  /** The client's `ip:port`, null from the command line. */
  src: string | null;
  /** Short text naming the connection (written into the key id). */
  session: string;
  permissions: readonly CertificatePermission[];
}

export interface IssuedCertificate {
  /** The fresh private key: it never leaves the process. */
  key: ParsedKey;
  certificate: Buffer;
  keyId: string;
  serial: bigint;
}

export interface TargetCaDeps extends GatewayKeyDeps {
  audit: Pick<AuditLog, 'record'>;
  ttlMs: number;
  now?: () => number;
  /** Who the creation of the CA is recorded as (the operator at the CLI; null in the gateway). */
  actor?: string | null;
}

export class TargetCa {
  #ca: Promise<LoadedGatewayKey> | null = null;

  constructor(private readonly deps: TargetCaDeps) {}

  /** The CA, made on first use; the fact that it was made is in the trail. */
  private load(): Promise<LoadedGatewayKey> {
    this.#ca ??= loadGatewayKey(this.deps, TARGET_CA_KEY, 'jumpgate target CA').then(async (loaded) => {
      if (loaded.created) {
        await this.deps.audit.record({ type: 'config.change', user: this.deps.actor ?? null, src: null, action: 'create', kind: 'TargetCA', name: loaded.fingerprint });
      }
      return loaded;
    });
    // A failed load (store or vault down) is tried again by the next caller.
    this.#ca.catch(() => { this.#ca = null; });
    return this.#ca;
  }

  async publicKeyLine(): Promise<string> {
    return (await this.load()).publicLine;
  }

  /** A certificate for one login; `certificate.issue` is committed before it is returned. */
  async issue(subject: CertificateSubject): Promise<IssuedCertificate> {
    const ca = await this.load();
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    const key = parseSshKey(pair.private);
    if (key instanceof Error) throw key;
    const now = Math.floor((this.deps.now?.() ?? Date.now()) / 1000);
    const validAfter = BigInt(now);
    const validBefore = BigInt(now + Math.max(1, Math.round(this.deps.ttlMs / 1000)));
    const serial = randomBytes(8).readBigUInt64BE();
    const keyId = `jumpgate ${subject.user ?? 'gateway'} ${subject.login}@${subject.target} ${subject.session}`;
    const certificate = signUserCertificate(ca.key, {
      publicKey: key.getPublicSSH(), serial, keyId, principals: [subject.login], validAfter, validBefore,
      extensions: subject.permissions, nonce: randomBytes(32),
    });
    await this.deps.audit.record({
      type: 'certificate.issue', user: subject.user, src: subject.src, target: subject.target, login: subject.login,
      key_id: keyId, serial: serial.toString(), valid_after: isoSeconds(validAfter), valid_before: isoSeconds(validBefore), ca: ca.fingerprint,
    });
    return { key, certificate, keyId, serial };
  }
}

function isoSeconds(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString();
}
