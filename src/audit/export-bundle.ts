/**
 * Signed audit exports for auditors: the events since a time, the chain head, and an
 * Ed25519 signature over the head, the count and the first event's `prev`, made with the
 * gateway's audit signing key. `verifyBundle` needs nothing but the file (and, to pin the
 * signer, its public key).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, createHash, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { AuditEvent } from './events.js';
import { findChainBreak } from './hash-chain.js';

export const BUNDLE_FORMAT = 'jumpgate-audit-export/1';
/** The audit signing key, beside the host keys in the data dir. */
export const SIGNING_KEY_FILE = 'audit_signing_key';

export interface AuditBundle {
  format: string;
  created: string;
  node: string;
  since: string | null;
  count: number;
  firstPrev: string | null;
  head: string | null;
  /** SPKI DER, base64. */
  publicKey: string;
  signature: string;
  events: AuditEvent[];
}

function signedText(b: Pick<AuditBundle, 'format' | 'head' | 'count' | 'firstPrev'>): Buffer {
  return Buffer.from(`${b.format}\n${b.head ?? ''}\n${b.count}\n${b.firstPrev ?? ''}\n`);
}

/** The audit signing key (Ed25519, PKCS#8 PEM, 0600), made on first use. */
export function loadSigningKey(file: string): KeyObject {
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  return createPrivateKey(readFileSync(file));
}

export function keyFingerprint(publicKeyDer: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicKeyDer).digest('base64').replace(/=+$/, '')}`;
}

export function makeBundle(events: AuditEvent[], key: KeyObject, meta: { node: string; since: string | null }): AuditBundle {
  const publicKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const unsigned = {
    format: BUNDLE_FORMAT, created: new Date().toISOString(), node: meta.node, since: meta.since, count: events.length,
    firstPrev: events[0]?.prev ?? null, head: events.at(-1)?.hash ?? null, publicKey: publicKey.toString('base64'),
  };
  return { ...unsigned, signature: sign(null, signedText(unsigned), key).toString('base64'), events };
}

export type BundleVerdict = { ok: true; count: number; head: string | null; signer: string } | { ok: false; reason: string };

export function verifyBundle(bundle: AuditBundle, pinnedPublicKey?: Buffer): BundleVerdict {
  if (bundle.format !== BUNDLE_FORMAT) return { ok: false, reason: `not a ${BUNDLE_FORMAT} bundle` };
  if (!Array.isArray(bundle.events) || bundle.events.length !== bundle.count) return { ok: false, reason: `holds ${bundle.events?.length ?? 0} events, says ${bundle.count}` };
  const keyDer = Buffer.from(bundle.publicKey, 'base64');
  if (pinnedPublicKey && !pinnedPublicKey.equals(keyDer)) return { ok: false, reason: 'signed by another key than the one given' };
  let valid = false;
  try {
    valid = verify(null, signedText(bundle), createPublicKey({ key: keyDer, format: 'der', type: 'spki' }), Buffer.from(bundle.signature, 'base64'));
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, reason: 'signature invalid (head, count or first prev altered)' };
  if (bundle.count > 0) {
    const broken = findChainBreak(bundle.events, bundle.firstPrev);
    if (broken) return { ok: false, reason: `event #${broken.index + 1} (${broken.id ?? '?'}): ${broken.reason}` };
    if (bundle.events.at(-1)!.hash !== bundle.head) return { ok: false, reason: 'the last event is not the signed head' };
  }
  return { ok: true, count: bundle.count, head: bundle.head, signer: keyFingerprint(keyDer) };
}
