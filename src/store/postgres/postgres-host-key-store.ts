import type pg from 'pg';
import type { HostKeyStore, KnownHostKey } from '../store.js';

interface Row { name: string; fingerprint: string; key_type: string; first_seen: string; updated_at: string }

const toKey = (row: Row): KnownHostKey => ({ name: row.name, fingerprint: row.fingerprint, keyType: row.key_type, firstSeen: row.first_seen, updatedAt: row.updated_at });

/** How often `learn` tries again when the key it lost to was deleted before it could read it. */
const LEARN_ATTEMPTS = 3;

export class PostgresHostKeyStore implements HostKeyStore {
  constructor(private readonly pool: pg.Pool) {}

  async get(name: string): Promise<KnownHostKey | null> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM host_keys WHERE name = $1', [name]);
    return rows[0] ? toKey(rows[0]) : null;
  }

  async list(): Promise<KnownHostKey[]> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM host_keys ORDER BY name COLLATE "C"');
    return rows.map(toKey);
  }

  /**
   * The insert is the decision: of concurrent learners, the one whose row the primary key
   * admitted learnt, and the others (who waited for its commit) read that row. A key deleted
   * in between (`target trust`) is learnt afresh.
   */
  async learn(key: KnownHostKey): Promise<{ known: KnownHostKey; learnt: boolean }> {
    for (let attempt = 0; attempt < LEARN_ATTEMPTS; attempt++) {
      const inserted = await this.pool.query<Row>(`INSERT INTO host_keys (name, fingerprint, key_type, first_seen, updated_at)
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING RETURNING *`,
      [key.name, key.fingerprint, key.keyType, key.firstSeen, key.updatedAt]);
      if (inserted.rows[0]) return { known: toKey(inserted.rows[0]), learnt: true };
      const known = await this.get(key.name);
      if (known) return { known, learnt: false };
    }
    throw new Error(`host key of ${key.name} kept changing while it was being learnt`);
  }

  async put(key: KnownHostKey): Promise<void> {
    await this.pool.query(`INSERT INTO host_keys (name, fingerprint, key_type, first_seen, updated_at) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (name) DO UPDATE SET fingerprint = excluded.fingerprint, key_type = excluded.key_type, updated_at = excluded.updated_at`,
    [key.name, key.fingerprint, key.keyType, key.firstSeen, key.updatedAt]);
  }

  async delete(name: string): Promise<void> {
    await this.pool.query('DELETE FROM host_keys WHERE name = $1', [name]);
  }
}
