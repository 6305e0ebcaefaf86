import type Database from 'better-sqlite3';
import type { UserKeyEntry, UserKeyListStore } from '../store.js';

interface Row { list: string; key: string; fingerprint: string; line: string; added_at: string; added_by: string }

const toEntry = (row: Row): UserKeyEntry => ({
  list: row.list as UserKeyEntry['list'], key: row.key, fingerprint: row.fingerprint, line: row.line, addedAt: row.added_at, addedBy: row.added_by,
});

export class SqliteUserKeyStore implements UserKeyListStore {
  private readonly insert: Database.Statement;
  private readonly selectAll: Database.Statement<[], Row>;

  constructor(db: Database.Database) {
    this.insert = db.prepare(`INSERT INTO user_key_lists (list, key, fingerprint, line, added_at, added_by)
      VALUES (@list, @key, @fingerprint, @line, @addedAt, @addedBy) ON CONFLICT DO NOTHING`);
    this.selectAll = db.prepare('SELECT * FROM user_key_lists ORDER BY list, added_at, key');
  }

  async add(entry: UserKeyEntry): Promise<boolean> {
    return this.insert.run(entry).changes > 0;
  }

  async list(): Promise<UserKeyEntry[]> {
    return this.selectAll.all().map(toEntry);
  }
}
