import type pg from 'pg';
import type { FactorStore, UserFactors } from '../store.js';
import { toNumber } from './postgres-database.js';

interface Row { user: string; password_hash: string | null; totp_sealed: string | null; totp_last_step: string; recovery_hashes: string[] }

/**
 * Each write is one statement. A claim is an UPDATE whose WHERE holds only while the step or
 * code is unclaimed; a concurrent claimer waits on the row lock and PostgreSQL re-checks its
 * WHERE against the row the winner committed, so exactly one of them changes the row.
 */
export class PostgresFactorStore implements FactorStore {
  constructor(private readonly pool: pg.Pool) {}

  async get(user: string): Promise<UserFactors | null> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM user_factors WHERE "user" = $1', [user]);
    const row = rows[0];
    return row ? {
      user: row.user, passwordHash: row.password_hash, totpSealed: row.totp_sealed, totpLastStep: toNumber(row.totp_last_step),
      recoveryHashes: row.recovery_hashes,
    } : null;
  }

  async setPassword(user: string, passwordHash: string | null): Promise<void> {
    await this.pool.query(`INSERT INTO user_factors ("user", password_hash, updated_at) VALUES ($1, $2, $3)
      ON CONFLICT ("user") DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at`,
    [user, passwordHash, new Date().toISOString()]);
  }

  async setTotp(user: string, totpSealed: string | null, recoveryHashes: string[]): Promise<void> {
    // A new secret starts its step count again, and its recovery codes replace the old ones.
    await this.pool.query(`INSERT INTO user_factors ("user", totp_sealed, recovery_hashes, totp_last_step, updated_at) VALUES ($1, $2, $3, 0, $4)
      ON CONFLICT ("user") DO UPDATE SET totp_sealed = excluded.totp_sealed, recovery_hashes = excluded.recovery_hashes,
        totp_last_step = 0, updated_at = excluded.updated_at`,
    [user, totpSealed, JSON.stringify(recoveryHashes), new Date().toISOString()]);
  }

  async claimTotpStep(user: string, step: number): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE user_factors SET totp_last_step = $2 WHERE "user" = $1 AND totp_last_step < $2', [user, step]);
    return rowCount === 1;
  }

  async claimRecoveryCode(user: string, codeHash: string): Promise<boolean> {
    // jsonb `?` tests for the string in the array, `-` removes it.
    const { rowCount } = await this.pool.query(
      'UPDATE user_factors SET recovery_hashes = recovery_hashes - $2::text WHERE "user" = $1 AND recovery_hashes ? $2::text', [user, codeHash]);
    return rowCount === 1;
  }
}
