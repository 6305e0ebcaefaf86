import type Database from 'better-sqlite3';
import type { Ban, BanStore } from '../store.js';

interface Row { address: string; until: string; reason: string; created_at: string }
const toBan = (row: Row): Ban => ({ address: row.address, until: row.until, reason: row.reason, createdAt: row.created_at });

export class SqliteBanStore implements BanStore {
  private readonly selectActive: Database.Statement<[string, string], Row>;
  private readonly selectAll: Database.Statement<[string], Row>;
  private readonly upsert: Database.Statement;
  private readonly remove_: Database.Statement<[string]>;
  private readonly recordFailure_: (key: string, at: string, windowStart: string, threshold: number) => boolean;

  constructor(db: Database.Database) {
    this.selectActive = db.prepare('SELECT * FROM bans WHERE address = ? AND until > ?');
    this.selectAll = db.prepare('SELECT * FROM bans WHERE until > ? ORDER BY created_at');
    this.upsert = db.prepare(`INSERT INTO bans (address, until, reason, created_at) VALUES (@address, @until, @reason, @createdAt)
      ON CONFLICT (address) DO UPDATE SET until = excluded.until, reason = excluded.reason, created_at = excluded.created_at`);
    this.remove_ = db.prepare('DELETE FROM bans WHERE address = ?');
    const forgetOld = db.prepare<[string]>('DELETE FROM auth_failures WHERE at <= ?');
    const insertFailure = db.prepare<[string, string]>('INSERT INTO auth_failures (key, at) VALUES (?, ?)');
    const countFailures = db.prepare<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM auth_failures WHERE key = ? AND at > ?');
    const forgetKey = db.prepare<[string]>('DELETE FROM auth_failures WHERE key = ?');
    const record = db.transaction((key: string, at: string, windowStart: string, threshold: number) => {
      forgetOld.run(windowStart);
      insertFailure.run(key, at);
      if (countFailures.get(key, windowStart)!.n < threshold) return false;
      forgetKey.run(key);
      return true;
    });
    // IMMEDIATE: the write lock before the count, so two processes never both reach the threshold.
    this.recordFailure_ = (key, at, windowStart, threshold) => record.immediate(key, at, windowStart, threshold);
  }

  async active(address: string, now: Date): Promise<Ban | null> {
    const row = this.selectActive.get(address, now.toISOString());
    return row ? toBan(row) : null;
  }

  async list(now: Date): Promise<Ban[]> {
    return this.selectAll.all(now.toISOString()).map(toBan);
  }

  async add(ban: Ban): Promise<void> {
    this.upsert.run(ban);
  }

  async remove(address: string): Promise<boolean> {
    return this.remove_.run(address).changes > 0;
  }

  async recordFailure(key: string, at: string, windowStart: string, threshold: number): Promise<boolean> {
    return this.recordFailure_(key, at, windowStart, threshold);
  }
}
