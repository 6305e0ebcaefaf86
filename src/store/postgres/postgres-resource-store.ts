import type pg from 'pg';
import type { ResourceStore } from '../store.js';
import type { ResourceKind } from '../../domain/resources.js';
import type { Queryable } from './postgres-database.js';

type Table = 'users' | 'targets' | 'roles' | 'credentials';

export function tableOf(kind: ResourceKind): Table {
  const tables: Record<ResourceKind, Table> = { User: 'users', Target: 'targets', Role: 'roles', Credential: 'credentials' };
  return tables[kind];
}

/** One resource kind in its own table, the validated resource kept as JSON text. */
export class PostgresResourceStore<T extends { name: string }> implements ResourceStore<T> {
  constructor(private readonly pool: pg.Pool, private readonly table: Table) {}

  async get(name: string): Promise<T | null> {
    const { rows } = await this.pool.query<{ body: string }>(`SELECT body FROM ${this.table} WHERE name = $1`, [name]);
    return rows[0] ? (JSON.parse(rows[0].body) as T) : null;
  }

  async list(): Promise<T[]> {
    // COLLATE "C": names sort by code point, as in SQLite, whatever the database's locale.
    const { rows } = await this.pool.query<{ body: string }>(`SELECT body FROM ${this.table} ORDER BY name COLLATE "C"`);
    return rows.map((row) => JSON.parse(row.body) as T);
  }

  /** Inside the caller's transaction (applyChanges). */
  async putIn(client: Queryable, resource: T): Promise<void> {
    await client.query(`INSERT INTO ${this.table} (name, body, updated_at) VALUES ($1, $2, $3)
      ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`,
    [resource.name, JSON.stringify(resource), new Date().toISOString()]);
  }

  async deleteIn(client: Queryable, name: string): Promise<void> {
    await client.query(`DELETE FROM ${this.table} WHERE name = $1`, [name]);
  }
}
