import type { CredentialType } from './resources.js';

/** A credential as stored: its secret only ever encrypted (issue: vault). */
export interface StoredCredential {
  kind: 'Credential';
  name: string;
  type: CredentialType;
  /**
   * AES-256-GCM envelope of the secret under the vault key; never printed. Absent for
   * `certificate` and `agent`, which hold no secret.
   */
  sealed?: string;
  /** The public half of a private key, shown by `get credentials` so operators can install it. */
  publicKey?: string;
  /** `privateKey` only: how often `credential rotate` runs on its own. */
  rotateEvery?: string;
  /** When the key pair was last replaced by a rotation (the schedule counts from it). */
  rotatedAt?: string;
  updatedAt: string;
}
