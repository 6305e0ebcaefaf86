import type pg from 'pg';
import type { ApiToken, TokenStore } from '../store.js';

interface Row { name: string; token_hash: string; admin: 'read' | 'write'; created_at: string; created_by: string; expires_at: string | null }
const toToken = (row: Row): ApiToken => ({
  name: row.name, tokenHash: row.token_hash, admin: row.admin, createdAt: row.created_at, createdBy: row.created_by, expiresAt: row.expires_at,
});

export class PostgresTokenStore implements TokenStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(token: ApiToken): Promise<boolean> {
    const { rowCount } = await this.pool.query(`INSERT INTO api_tokens (name, token_hash, admin, created_at, created_by, expires_at)
      VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING`,
    [token.name, token.tokenHash, token.admin, token.createdAt, token.createdBy, token.expiresAt]);
    return (rowCount ?? 0) > 0;
  }

  async byHash(tokenHash: string): Promise<ApiToken | null> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM api_tokens WHERE token_hash = $1', [tokenHash]);
    return rows[0] ? toToken(rows[0]) : null;
  }

  async list(): Promise<ApiToken[]> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM api_tokens ORDER BY name COLLATE "C"');
    return rows.map(toToken);
  }

  async revoke(name: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM api_tokens WHERE name = $1', [name]);
    return (rowCount ?? 0) > 0;
  }
}
