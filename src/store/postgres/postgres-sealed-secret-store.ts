import type pg from 'pg';
import type { SealedSecret, SealedSecretStore } from '../store.js';
import { inTransaction } from './postgres-database.js';

/** One replacement found its value changed meanwhile: the whole transaction rolls back. */
class SealedSecretChanged extends Error {}

/**
 * The sealed values of the PostgreSQL store: a credential's `sealed` inside its JSON body,
 * a user's `totp_sealed` and the gateway's own keys. A replacement is a compare-and-swap on each value, all in one
 * transaction, so a secret set while `vault rotate` runs is never overwritten.
 */
export class PostgresSealedSecretStore implements SealedSecretStore {
  constructor(private readonly pool: pg.Pool) {}

  async list(): Promise<SealedSecret[]> {
    const credentials = await this.pool.query<{ name: string; sealed: string | null }>(
      `SELECT name, body::jsonb ->> 'sealed' AS sealed FROM credentials ORDER BY name COLLATE "C"`);
    const totp = await this.pool.query<{ user: string; sealed: string }>(
      'SELECT "user", totp_sealed AS sealed FROM user_factors WHERE totp_sealed IS NOT NULL ORDER BY "user" COLLATE "C"');
    const gatewayKeys = await this.pool.query<{ name: string; sealed: string }>('SELECT name, sealed FROM gateway_keys ORDER BY name COLLATE "C"');
    return [
      ...credentials.rows
        .filter((row): row is { name: string; sealed: string } => typeof row.sealed === 'string')
        .map((row): SealedSecret => ({ owner: { kind: 'credential', name: row.name }, sealed: row.sealed })),
      ...totp.rows.map((row): SealedSecret => ({ owner: { kind: 'totp', user: row.user }, sealed: row.sealed })),
      ...gatewayKeys.rows.map((row): SealedSecret => ({ owner: { kind: 'gatewayKey', name: row.name }, sealed: row.sealed })),
    ];
  }

  async replace(changes: ReadonlyArray<SealedSecret & { next: string }>): Promise<boolean> {
    try {
      await inTransaction(this.pool, async (client) => {
        const now = new Date().toISOString();
        for (const { owner, sealed, next } of changes) {
          // Each UPDATE re-checks its WHERE on the newest committed row once it holds the row's lock.
          const { rowCount } = owner.kind === 'credential'
            ? await client.query(`UPDATE credentials
                SET body = jsonb_set(jsonb_set(body::jsonb, '{sealed}', to_jsonb($1::text)), '{updatedAt}', to_jsonb($2::text))::text, updated_at = $2
                WHERE name = $3 AND body::jsonb ->> 'sealed' = $4`, [next, now, owner.name, sealed])
            : owner.kind === 'totp'
              ? await client.query('UPDATE user_factors SET totp_sealed = $1, updated_at = $2 WHERE "user" = $3 AND totp_sealed = $4',
                [next, now, owner.user, sealed])
              : await client.query('UPDATE gateway_keys SET sealed = $1 WHERE name = $2 AND sealed = $3', [next, owner.name, sealed]);
          if (rowCount !== 1) throw new SealedSecretChanged();
        }
      });
      return true;
    } catch (error) {
      if (error instanceof SealedSecretChanged) return false;
      throw error;
    }
  }
}
