import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describeStoreContract } from '../contract/store-contract.js';
import { openPostgresStores } from './postgres-stores.js';
import { MIGRATIONS } from './migrations/index.js';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../sqlite/migrations/index.js';
import { migrate as migrateSqlite } from '../sqlite/migrate.js';
import { freshPostgresDatabase } from '../../../test/helpers/postgres.js';

const failOnConnectionError = (error: Error): void => {
  throw error;
};

// Each place is a database of this process's private cluster; each instance its own pool, as another node would have.
describeStoreContract('PostgreSQL', {
  fresh: async (label) => {
    const url = await freshPostgresDatabase(label);
    return { open: () => openPostgresStores(url, { onConnectionError: failOnConnectionError }) };
  },
});

describe('PostgreSQL migrations', () => {
  test('nodes opening a fresh database at once migrate it once, to the newest version', { timeout: 60_000 }, async () => {
    const url = await freshPostgresDatabase('migrate-race');
    const opened = await Promise.all(Array.from({ length: 4 }, () => openPostgresStores(url, { onConnectionError: failOnConnectionError })));
    await Promise.all(opened.map((stores) => stores.close()));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
      assert.deepEqual(rows, MIGRATIONS.map(({ version, name }) => ({ version, name })));
      assert.deepEqual(rows, SQLITE_MIGRATIONS.map(({ version, name }) => ({ version, name })), 'the same versions as SQLite\'s');
    } finally {
      await client.end();
    }
    const again = await openPostgresStores(url, { onConnectionError: failOnConnectionError });
    await again.close();
  });
});

describe('PostgreSQL and SQLite schemas', () => {
  test('have the same tables and columns after the same migrations', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jumpgate-schema-'));
    const sqliteColumns: string[] = [];
    try {
      const db = new Database(path.join(dir, 'schema.db'));
      migrateSqlite(db);
      const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all();
      for (const { name } of tables) {
        for (const column of db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${name}')`).all()) sqliteColumns.push(`${name}.${column.name}`);
      }
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const url = await freshPostgresDatabase('schema');
    await (await openPostgresStores(url, { onConnectionError: failOnConnectionError })).close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ column: string }>(`SELECT table_name || '.' || column_name AS column FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name <> 'schema_migrations'`);
      assert.deepEqual(rows.map((row) => row.column).sort(), sqliteColumns.sort());
    } finally {
      await client.end();
    }
  });
});
