import type Database from 'better-sqlite3';
import type { ResourceStore } from '../store.js';
import type { ResourceKind } from '../../domain/resources.js';

type Table = 'users' | 'targets' | 'roles' | 'credentials';

export function tableOf(kind: ResourceKind): Table {
  const tables: Record<ResourceKind, Table> = { User: 'users', Target: 'targets', Role: 'roles', Credential: 'credentials' };
  return tables[kind];
}

/** One resource kind in its own table, the validated resource kept as JSON. */
export class SqliteResourceStore<T extends { name: string }> implements ResourceStore<T> {
  private readonly selectOne: Database.Statement<[string], { body: string }>;
  private readonly selectAll: Database.Statement<[], { body: string }>;
  private readonly upsert: Database.Statement<[string, string, string]>;
  private readonly remove: Database.Statement<[string]>;

  constructor(db: Database.Database, table: Table) {
    this.selectOne = db.prepare(`SELECT body FROM ${table} WHERE name = ?`);
    this.selectAll = db.prepare(`SELECT body FROM ${table} ORDER BY name`);
    this.upsert = db.prepare(`INSERT INTO ${table} (name, body, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`);
    this.remove = db.prepare(`DELETE FROM ${table} WHERE name = ?`);
  }

  async get(name: string): Promise<T | null> {
    const row = this.selectOne.get(name);
    return row ? (JSON.parse(row.body) as T) : null;
  }

  async list(): Promise<T[]> {
    return this.selectAll.all().map((row) => JSON.parse(row.body) as T);
  }

  putSync(resource: T): void {
    this.upsert.run(resource.name, JSON.stringify(resource), new Date().toISOString());
  }

  deleteSync(name: string): void {
    this.remove.run(name);
  }
}
