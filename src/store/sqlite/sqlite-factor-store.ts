import type Database from 'better-sqlite3';
import type { FactorStore, UserFactors } from '../store.js';

interface Row { user: string; password_hash: string | null; totp_sealed: string | null; totp_last_step: number; recovery_hashes: string }

/**
 * Each write is one statement, so each claim is atomic across processes: a step or a code
 * goes to the one statement that changed the row, whoever else races for it.
 */
export class SqliteFactorStore implements FactorStore {
  private readonly selectOne: Database.Statement<[string], Row>;
  private readonly upsertPassword: Database.Statement<[string, string | null, string]>;
  private readonly upsertTotp: Database.Statement<[string, string | null, string, string]>;
  private readonly advanceStep: Database.Statement<[number, string, number]>;
  private readonly removeRecovery: Database.Statement<[string, string, string]>;

  constructor(db: Database.Database) {
    this.selectOne = db.prepare('SELECT * FROM user_factors WHERE user = ?');
    this.upsertPassword = db.prepare(`INSERT INTO user_factors (user, password_hash, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (user) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at`);
    // A new secret starts its step count again, and its recovery codes replace the old ones.
    this.upsertTotp = db.prepare(`INSERT INTO user_factors (user, totp_sealed, recovery_hashes, totp_last_step, updated_at) VALUES (?, ?, ?, 0, ?)
      ON CONFLICT (user) DO UPDATE SET totp_sealed = excluded.totp_sealed, recovery_hashes = excluded.recovery_hashes,
        totp_last_step = 0, updated_at = excluded.updated_at`);
    this.advanceStep = db.prepare('UPDATE user_factors SET totp_last_step = ? WHERE user = ? AND totp_last_step < ?');
    this.removeRecovery = db.prepare(`UPDATE user_factors
      SET recovery_hashes = (SELECT json_group_array(value) FROM json_each(user_factors.recovery_hashes) WHERE value != ?)
      WHERE user = ? AND EXISTS (SELECT 1 FROM json_each(user_factors.recovery_hashes) WHERE value = ?)`);
  }

  async get(user: string): Promise<UserFactors | null> {
    const row = this.selectOne.get(user);
    return row ? {
      user: row.user, passwordHash: row.password_hash, totpSealed: row.totp_sealed, totpLastStep: row.totp_last_step,
      recoveryHashes: JSON.parse(row.recovery_hashes) as string[],
    } : null;
  }

  async setPassword(user: string, passwordHash: string | null): Promise<void> {
    this.upsertPassword.run(user, passwordHash, new Date().toISOString());
  }

  async setTotp(user: string, totpSealed: string | null, recoveryHashes: string[]): Promise<void> {
    this.upsertTotp.run(user, totpSealed, JSON.stringify(recoveryHashes), new Date().toISOString());
  }

  async claimTotpStep(user: string, step: number): Promise<boolean> {
    return this.advanceStep.run(step, user, step).changes === 1;
  }

  async claimRecoveryCode(user: string, codeHash: string): Promise<boolean> {
    return this.removeRecovery.run(codeHash, user, codeHash).changes === 1;
  }
}
