import type pg from 'pg';
import type { RdpTokenClaim, RdpTokenRecord, RdpTokenStore } from '../store.js';

interface Row { id_hash: string; user: string; target: string; expires_at: string; created_at: string; used_at: string | null }
const toRecord = (row: Row): RdpTokenRecord => ({ idHash: row.id_hash, user: row.user, target: row.target, expiresAt: row.expires_at, createdAt: row.created_at });

export class PostgresRdpTokenStore implements RdpTokenStore {
  constructor(private readonly pool: pg.Pool) {}

  async add(token: RdpTokenRecord, now: Date): Promise<void> {
    await this.pool.query('DELETE FROM rdp_tokens WHERE expires_at < $1', [now.toISOString()]);
    await this.pool.query('INSERT INTO rdp_tokens (id_hash, "user", target, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)',
      [token.idHash, token.user, token.target, token.expiresAt, token.createdAt]);
  }

  async claim(idHash: string, now: Date): Promise<RdpTokenClaim> {
    const at = now.toISOString();
    // One statement: the row lock makes a concurrent claim wait, then find used_at set.
    const { rows } = await this.pool.query<Row>('UPDATE rdp_tokens SET used_at = $1 WHERE id_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING *', [at, idHash]);
    if (rows[0]) return { claimed: true, token: toRecord(rows[0]) };
    const known = (await this.pool.query<Row>('SELECT * FROM rdp_tokens WHERE id_hash = $1', [idHash])).rows[0];
    return { claimed: false, reason: !known ? 'unknown' : known.used_at !== null ? 'used' : 'expired' };
  }
}
