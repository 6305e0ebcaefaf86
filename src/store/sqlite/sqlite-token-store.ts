import type Database from 'better-sqlite3';
import type { ApiToken, TokenStore } from '../store.js';

interface Row { name: string; token_hash: string; admin: 'read' | 'write'; created_at: string; created_by: string; expires_at: string | null }
const toToken = (row: Row): ApiToken => ({
  name: row.name, tokenHash: row.token_hash, admin: row.admin, createdAt: row.created_at, createdBy: row.created_by, expiresAt: row.expires_at,
});

export class SqliteTokenStore implements TokenStore {
  private readonly insert: Database.Statement;
  private readonly selectByHash: Database.Statement<[string], Row>;
  private readonly selectAll: Database.Statement<[], Row>;
  private readonly remove: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    this.insert = db.prepare(`INSERT INTO api_tokens (name, token_hash, admin, created_at, created_by, expires_at)
      VALUES (@name, @tokenHash, @admin, @createdAt, @createdBy, @expiresAt) ON CONFLICT (name) DO NOTHING`);
    this.selectByHash = db.prepare('SELECT * FROM api_tokens WHERE token_hash = ?');
    this.selectAll = db.prepare('SELECT * FROM api_tokens ORDER BY name');
    this.remove = db.prepare('DELETE FROM api_tokens WHERE name = ?');
  }

  async create(token: ApiToken): Promise<boolean> {
    return this.insert.run(token).changes > 0;
  }

  async byHash(tokenHash: string): Promise<ApiToken | null> {
    const row = this.selectByHash.get(tokenHash);
    return row ? toToken(row) : null;
  }

  async list(): Promise<ApiToken[]> {
    return this.selectAll.all().map(toToken);
  }

  async revoke(name: string): Promise<boolean> {
    return this.remove.run(name).changes > 0;
  }
}
