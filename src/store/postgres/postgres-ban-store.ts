import type pg from 'pg';
import type { Ban, BanStore } from '../store.js';

interface Row { address: string; until: string; reason: string; created_at: string }
const toBan = (row: Row): Ban => ({ address: row.address, until: row.until, reason: row.reason, createdAt: row.created_at });

export class PostgresBanStore implements BanStore {
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

  async remove(address: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM bans WHERE address = $1', [address]);
    return (rowCount ?? 0) > 0;
  }
}
