import type pg from 'pg';
import type { Ban, BanStore } from '../store.js';
import { inTransaction } from './postgres-database.js';

interface Row { address: string; until: string; reason: string; created_at: string }
const toBan = (row: Row): Ban => ({ address: row.address, until: row.until, reason: row.reason, createdAt: row.created_at });

/** How often one process prunes the failures of every key that fell out of the window. */
const PRUNE_EVERY_MS = 10_000;

export class PostgresBanStore implements BanStore {
  private lastPrune = 0;

  constructor(private readonly pool: pg.Pool) {}

  async active(address: string, now: Date): Promise<Ban | null> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM bans WHERE address = $1 AND until > $2', [address, now.toISOString()]);
    return rows[0] ? toBan(rows[0]) : null;
  }

  async list(now: Date): Promise<Ban[]> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM bans WHERE until > $1 ORDER BY created_at, address COLLATE "C"', [now.toISOString()]);
    return rows.map(toBan);
  }

  async add(ban: Ban): Promise<void> {
    await this.pool.query(`INSERT INTO bans (address, until, reason, created_at) VALUES ($1, $2, $3, $4)
      ON CONFLICT (address) DO UPDATE SET until = excluded.until, reason = excluded.reason, created_at = excluded.created_at`,
    [ban.address, ban.until, ban.reason, ban.createdAt]);
  }

  /**
   * A per-key advisory lock orders the count and the forgetting: one caller of all nodes
   * reaches the threshold. Inside, only this key's rows are touched (transactions for other
   * keys never wait on them); other keys' old failures are pruned after, now and then.
   */
  async recordFailure(key: string, at: string, windowStart: string, threshold: number): Promise<boolean> {
    const reached = await inTransaction(this.pool, async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('jumpgate auth failures of ' || $1, 0))`, [key]);
      await client.query('DELETE FROM auth_failures WHERE key = $1 AND at <= $2', [key, windowStart]);
      await client.query('INSERT INTO auth_failures (key, at) VALUES ($1, $2)', [key, at]);
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM auth_failures WHERE key = $1 AND at > $2', [key, windowStart]);
      if (Number(rows[0].n) < threshold) return false;
      await client.query('DELETE FROM auth_failures WHERE key = $1', [key]);
      return true;
    });
    if (Date.now() - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = Date.now();
      // Best effort: a prune that fails (another node pruning the same rows) is the next one's work.
      await this.pool.query('DELETE FROM auth_failures WHERE at <= $1', [windowStart]).catch(() => {});
    }
    return reached;
  }

  async remove(address: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM bans WHERE address = $1', [address]);
    return (rowCount ?? 0) > 0;
  }
}
