import type pg from 'pg';
import type { UserKeyEntry, UserKeyListStore } from '../store.js';

interface Row { list: string; key: string; fingerprint: string; line: string; added_at: string; added_by: string }

const toEntry = (row: Row): UserKeyEntry => ({
  list: row.list as UserKeyEntry['list'], key: row.key, fingerprint: row.fingerprint, line: row.line, addedAt: row.added_at, addedBy: row.added_by,
});

export class PostgresUserKeyStore implements UserKeyListStore {
  constructor(private readonly pool: pg.Pool) {}

  async add(entry: UserKeyEntry): Promise<boolean> {
    const { rowCount } = await this.pool.query(`INSERT INTO user_key_lists (list, key, fingerprint, line, added_at, added_by)
      VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, [entry.list, entry.key, entry.fingerprint, entry.line, entry.addedAt, entry.addedBy]);
    return (rowCount ?? 0) > 0;
  }

  async list(): Promise<UserKeyEntry[]> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM user_key_lists ORDER BY list COLLATE "C", added_at COLLATE "C", key COLLATE "C"');
    return rows.map(toEntry);
  }
}
