/** A credential as stored: its secret only ever encrypted (issue: vault). */
export interface StoredCredential {
  kind: 'Credential';
  name: string;
  type: 'password' | 'privateKey';
  /** AES-256-GCM envelope of the secret under the vault key; never printed. */
  sealed: string;
  /** The public half of a private key, shown by `get credentials` so operators can install it. */
  publicKey?: string;
  updatedAt: string;
}
