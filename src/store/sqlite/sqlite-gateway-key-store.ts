import type Database from 'better-sqlite3';
import type { GatewayKey, GatewayKeyStore } from '../store.js';

interface Row { name: string; sealed: string; public_key: string; created_at: string }

const toKey = (row: Row): GatewayKey => ({ name: row.name, sealed: row.sealed, publicKey: row.public_key, createdAt: row.created_at });

export class SqliteGatewayKeyStore implements GatewayKeyStore {
  private readonly selectOne: Database.Statement<[string], Row>;
  private readonly createTx: (key: GatewayKey) => GatewayKey;

  constructor(db: Database.Database) {
    this.selectOne = db.prepare('SELECT * FROM gateway_keys WHERE name = ?');
    const insertIfAbsent = db.prepare(`INSERT INTO gateway_keys (name, sealed, public_key, created_at)
      VALUES (@name, @sealed, @publicKey, @createdAt) ON CONFLICT (name) DO NOTHING`);
    // Insert and read in one IMMEDIATE transaction: every process reads the one winner.
    const tx = db.transaction((key: GatewayKey) => {
      insertIfAbsent.run(key);
      return toKey(this.selectOne.get(key.name)!);
    });
    this.createTx = (key) => tx.immediate(key);
  }

  async get(name: string): Promise<GatewayKey | null> {
    const row = this.selectOne.get(name);
    return row ? toKey(row) : null;
  }

  async create(key: GatewayKey): Promise<GatewayKey> {
    return this.createTx(key);
  }
}
