import type Database from 'better-sqlite3';
import type { LeaseStore } from '../store.js';

export class SqliteLeaseStore implements LeaseStore {
  private readonly take: Database.Statement<{ name: string; holder: string; now: string; until: string }>;
  private readonly drop: Database.Statement<[string, string]>;

  constructor(db: Database.Database) {
    // One statement decides: the row is written only when free, expired or the holder's own.
    this.take = db.prepare(`INSERT INTO leases (name, holder, expires_at) VALUES (@name, @holder, @until)
      ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
      WHERE leases.holder = excluded.holder OR leases.expires_at <= @now`);
    this.drop = db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?');
  }

  async acquire(name: string, holder: string, now: Date, ttlMs: number): Promise<boolean> {
    const until = new Date(now.getTime() + ttlMs).toISOString();
    return this.take.run({ name, holder, now: now.toISOString(), until }).changes === 1;
  }

  async release(name: string, holder: string): Promise<void> {
    this.drop.run(name, holder);
  }
}
