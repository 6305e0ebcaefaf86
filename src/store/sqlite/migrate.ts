import type Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations/index.js';

/** Brings the database to the newest schema; each migration runs in its own transaction. */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.up);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}
