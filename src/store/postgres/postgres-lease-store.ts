import type pg from 'pg';
import type { LeaseStore } from '../store.js';

export class PostgresLeaseStore implements LeaseStore {
  constructor(private readonly pool: pg.Pool) {}

  /** One statement decides: the row is written only when free, expired or the holder's own. */
  async acquire(name: string, holder: string, now: Date, ttlMs: number): Promise<boolean> {
    const until = new Date(now.getTime() + ttlMs).toISOString();
    const { rowCount } = await this.pool.query(`INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
      ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
      WHERE leases.holder = excluded.holder OR leases.expires_at <= $4`, [name, holder, until, now.toISOString()]);
    return rowCount === 1;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.pool.query('DELETE FROM leases WHERE name = $1 AND holder = $2', [name, holder]);
  }
}
