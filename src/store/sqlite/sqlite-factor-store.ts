import type Database from 'better-sqlite3';
import type { FactorStore, UserFactors } from '../store.js';

interface Row { user: string; password_hash: string | null; totp_sealed: string | null; totp_last_step: number; recovery_hashes: string }

export class SqliteFactorStore implements FactorStore {
  private readonly selectOne: Database.Statement<[string], Row>;
  private readonly ensure: Database.Statement<[string, string]>;
  private readonly updatePassword: Database.Statement<[string | null, string, string]>;
  private readonly updateTotp: Database.Statement<[string | null, string, string, string]>;
  private readonly advanceStep: Database.Statement<[number, string, number]>;
  private readonly useRecovery: (user: string, hash: string) => boolean;

  constructor(db: Database.Database) {
    this.selectOne = db.prepare('SELECT * FROM user_factors WHERE user = ?');
    this.ensure = db.prepare('INSERT INTO user_factors (user, updated_at) VALUES (?, ?) ON CONFLICT (user) DO NOTHING');
    this.updatePassword = db.prepare('UPDATE user_factors SET password_hash = ?, updated_at = ? WHERE user = ?');
    this.updateTotp = db.prepare('UPDATE user_factors SET totp_sealed = ?, recovery_hashes = ?, totp_last_step = 0, updated_at = ? WHERE user = ?');
    this.advanceStep = db.prepare('UPDATE user_factors SET totp_last_step = ? WHERE user = ? AND totp_last_step < ?');
    const tx = db.transaction((user: string, hash: string) => {
      const row = this.selectOne.get(user);
      const hashes = row ? (JSON.parse(row.recovery_hashes) as string[]) : [];
      if (!hashes.includes(hash)) return false;
      db.prepare('UPDATE user_factors SET recovery_hashes = ? WHERE user = ?').run(JSON.stringify(hashes.filter((h) => h !== hash)), user);
      return true;
    });
    this.useRecovery = (user, hash) => tx.immediate(user, hash);
  }

  async get(user: string): Promise<UserFactors | null> {
    const row = this.selectOne.get(user);
    return row ? {
      user: row.user, passwordHash: row.password_hash, totpSealed: row.totp_sealed, totpLastStep: row.totp_last_step,
      recoveryHashes: JSON.parse(row.recovery_hashes) as string[],
    } : null;
  }

  async setPassword(user: string, passwordHash: string | null): Promise<void> {
    const now = new Date().toISOString();
    this.ensure.run(user, now);
    this.updatePassword.run(passwordHash, now, user);
  }

  async setTotp(user: string, totpSealed: string | null, recoveryHashes: string[]): Promise<void> {
    const now = new Date().toISOString();
    this.ensure.run(user, now);
    this.updateTotp.run(totpSealed, JSON.stringify(recoveryHashes), now, user);
  }

  async claimTotpStep(user: string, step: number): Promise<boolean> {
    return this.advanceStep.run(step, user, step).changes === 1;
  }

  async claimRecoveryCode(user: string, codeHash: string): Promise<boolean> {
    return this.useRecovery(user, codeHash);
  }
}
