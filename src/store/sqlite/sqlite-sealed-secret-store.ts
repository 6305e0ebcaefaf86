import type Database from 'better-sqlite3';
import type { SealedSecret, SealedSecretStore } from '../store.js';

/**
 * The sealed values of the SQLite store: a credential's `sealed` inside its JSON body,
 * a user's `totp_sealed` and the gateway's own keys. A replacement is a compare-and-swap on each value, all in
 * one transaction, so a secret set while `vault rotate` runs is never overwritten.
 */
export class SqliteSealedSecretStore implements SealedSecretStore {
  private readonly selectCredentials: Database.Statement<[], { name: string; sealed: string | null }>;
  private readonly selectTotp: Database.Statement<[], { user: string; sealed: string }>;
  private readonly selectGatewayKeys: Database.Statement<[], { name: string; sealed: string }>;
  private readonly swap: (changes: ReadonlyArray<SealedSecret & { next: string }>) => boolean;

  constructor(db: Database.Database) {
    this.selectCredentials = db.prepare("SELECT name, json_extract(body, '$.sealed') AS sealed FROM credentials ORDER BY name");
    this.selectTotp = db.prepare('SELECT user, totp_sealed AS sealed FROM user_factors WHERE totp_sealed IS NOT NULL ORDER BY user');
    const swapCredential = db.prepare<[string, string, string, string, string]>(`UPDATE credentials
      SET body = json_set(body, '$.sealed', ?, '$.updatedAt', ?), updated_at = ?
      WHERE name = ? AND json_extract(body, '$.sealed') = ?`);
    this.selectGatewayKeys = db.prepare('SELECT name, sealed FROM gateway_keys ORDER BY name');
    const swapGatewayKey = db.prepare<[string, string, string]>('UPDATE gateway_keys SET sealed = ? WHERE name = ? AND sealed = ?');
    const swapTotp = db.prepare<[string, string, string, string]>('UPDATE user_factors SET totp_sealed = ?, updated_at = ? WHERE user = ? AND totp_sealed = ?');
    class Conflict extends Error {}
    const transaction = db.transaction((changes: ReadonlyArray<SealedSecret & { next: string }>) => {
      const now = new Date().toISOString();
      for (const { owner, sealed, next } of changes) {
        const result = owner.kind === 'credential' ? swapCredential.run(next, now, now, owner.name, sealed)
          : owner.kind === 'totp' ? swapTotp.run(next, now, owner.user, sealed)
            : swapGatewayKey.run(next, owner.name, sealed);
        if (result.changes !== 1) throw new Conflict();
      }
    });
    this.swap = (changes) => {
      try {
        transaction.immediate(changes);
        return true;
      } catch (error) {
        if (error instanceof Conflict) return false;
        throw error;
      }
    };
  }

  async list(): Promise<SealedSecret[]> {
    const credentials = this.selectCredentials.all()
      .filter((row): row is { name: string; sealed: string } => typeof row.sealed === 'string')
      .map((row): SealedSecret => ({ owner: { kind: 'credential', name: row.name }, sealed: row.sealed }));
    const totp = this.selectTotp.all().map((row): SealedSecret => ({ owner: { kind: 'totp', user: row.user }, sealed: row.sealed }));
    const gatewayKeys = this.selectGatewayKeys.all().map((row): SealedSecret => ({ owner: { kind: 'gatewayKey', name: row.name }, sealed: row.sealed }));
    return [...credentials, ...totp, ...gatewayKeys];
  }

  async replace(changes: ReadonlyArray<SealedSecret & { next: string }>): Promise<boolean> {
    return this.swap(changes);
  }
}
