import type Database from 'better-sqlite3';
import type { HostKeyStore, KnownHostKey } from '../store.js';

interface Row { name: string; fingerprint: string; key_type: string; first_seen: string; updated_at: string }

const toKey = (row: Row): KnownHostKey => ({ name: row.name, fingerprint: row.fingerprint, keyType: row.key_type, firstSeen: row.first_seen, updatedAt: row.updated_at });

export class SqliteHostKeyStore implements HostKeyStore {
  private readonly selectOne: Database.Statement<[string], Row>;
  private readonly selectAll: Database.Statement<[], Row>;
  private readonly upsert: Database.Statement;
  private readonly remove: Database.Statement<[string]>;
  private readonly learnTx: (key: KnownHostKey) => { known: KnownHostKey; learnt: boolean };

  constructor(db: Database.Database) {
    this.selectOne = db.prepare('SELECT * FROM host_keys WHERE name = ?');
    this.selectAll = db.prepare('SELECT * FROM host_keys ORDER BY name');
    this.upsert = db.prepare(`INSERT INTO host_keys (name, fingerprint, key_type, first_seen, updated_at)
      VALUES (@name, @fingerprint, @keyType, @firstSeen, @updatedAt)
      ON CONFLICT (name) DO UPDATE SET fingerprint = excluded.fingerprint, key_type = excluded.key_type, updated_at = excluded.updated_at`);
    this.remove = db.prepare('DELETE FROM host_keys WHERE name = ?');
    const insertIfAbsent = db.prepare(`INSERT INTO host_keys (name, fingerprint, key_type, first_seen, updated_at)
      VALUES (@name, @fingerprint, @keyType, @firstSeen, @updatedAt) ON CONFLICT (name) DO NOTHING`);
    // The insert and the read of the winner share one IMMEDIATE transaction: no other process
    // can delete or replace the key between them.
    const tx = db.transaction((key: KnownHostKey) => {
      const learnt = insertIfAbsent.run(key).changes === 1;
      return { known: toKey(this.selectOne.get(key.name)!), learnt };
    });
    this.learnTx = (key) => tx.immediate(key);
  }

  async learn(key: KnownHostKey): Promise<{ known: KnownHostKey; learnt: boolean }> {
    return this.learnTx(key);
  }

  async get(name: string): Promise<KnownHostKey | null> {
    const row = this.selectOne.get(name);
    return row ? toKey(row) : null;
  }

  async list(): Promise<KnownHostKey[]> {
    return this.selectAll.all().map(toKey);
  }

  async put(key: KnownHostKey): Promise<void> {
    this.upsert.run(key);
  }

  async delete(name: string): Promise<void> {
    this.remove.run(name);
  }
}
