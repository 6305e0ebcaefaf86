import type pg from 'pg';
import { MIGRATIONS } from './migrations/index.js';
import { inTransaction } from './postgres-database.js';

/**
 * Brings the database to the newest schema in one transaction (PostgreSQL's DDL is
 * transactional: a failed upgrade leaves the schema as it was). Nodes starting together
 * queue on an advisory lock, so each migration runs once.
 */
export async function migrate(pool: pg.Pool): Promise<void> {
  await inTransaction(pool, async (client) => {
    // A migration over a large audit table, and a node waiting for another's, may take longer
    // than the statement timeout that protects logins.
    await client.query('SET LOCAL statement_timeout = 0');
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended('jumpgate schema migrations', 0))");
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)');
    const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((row) => row.version));
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await client.query(migration.up);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
        [migration.version, migration.name, new Date().toISOString()]);
    }
  });
}
