import type pg from 'pg';
import type { GatewayKey, GatewayKeyStore } from '../store.js';

interface Row { name: string; sealed: string; public_key: string; created_at: string }

const toKey = (row: Row): GatewayKey => ({ name: row.name, sealed: row.sealed, publicKey: row.public_key, createdAt: row.created_at });

export class PostgresGatewayKeyStore implements GatewayKeyStore {
  constructor(private readonly pool: pg.Pool) {}

  async get(name: string): Promise<GatewayKey | null> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM gateway_keys WHERE name = $1', [name]);
    return rows[0] ? toKey(rows[0]) : null;
  }

  /** The insert decides; a loser (who waited for the winner's commit) reads the winner's row. Keys are never deleted. */
  async create(key: GatewayKey): Promise<GatewayKey> {
    const inserted = await this.pool.query<Row>(`INSERT INTO gateway_keys (name, sealed, public_key, created_at)
      VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING *`, [key.name, key.sealed, key.publicKey, key.createdAt]);
    if (inserted.rows[0]) return toKey(inserted.rows[0]);
    const known = await this.get(key.name);
    if (!known) throw new Error(`gateway key ${key.name} vanished while it was being created`);
    return known;
  }
}
