/**
 * A numbered schema change. The SQLite and PostgreSQL stores have the same versions with the
 * same names, tables and columns, each in its own dialect, so a version means one schema
 * whichever store holds it. A released migration never changes.
 */
export interface Migration {
  version: number;
  name: string;
  up: string;
}
