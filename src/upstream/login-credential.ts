/**
 * What the gateway logs into a hop or a target with: a stored secret (password or private
 * key), a certificate its target CA signed for this one login, or the connecting user's
 * own agent, forwarded with `ssh -A`.
 */
import type { BaseAgent, ParsedKey } from 'ssh2';
import type { OpenedCredential } from '../resources/credential-secret.js';
import { ED25519_CERT } from '../ca/user-certificate.js';

export type LoginCredential =
  | OpenedCredential
  | { type: 'certificate'; key: ParsedKey; certificate: Buffer }
  | { type: 'agent'; agent: BaseAgent };

/**
 * The key ssh2 logs in with: it offers the certificate and signs with the certified key.
 * ssh2 takes an already parsed key as it is, so an object inheriting the parsed Ed25519
 * key, with the certificate's type and blob in front, is all it needs (the signature is
 * framed as `ssh-ed25519` by the patched `authPK`).
 */
export function certificateLoginKey(key: ParsedKey, certificate: Buffer): ParsedKey {
  return Object.create(key, {
    type: { value: ED25519_CERT, enumerable: true },
    getPublicSSH: { value: () => certificate },
  }) as ParsedKey;
}
