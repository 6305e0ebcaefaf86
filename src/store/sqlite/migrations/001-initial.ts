/** Resources, the audit chain and sessions. */
export const up = `
CREATE TABLE users (name TEXT PRIMARY KEY, body TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE targets (name TEXT PRIMARY KEY, body TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE roles (name TEXT PRIMARY KEY, body TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE credentials (name TEXT PRIMARY KEY, body TEXT NOT NULL, updated_at TEXT NOT NULL);

CREATE TABLE audit_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  ts TEXT NOT NULL,
  type TEXT NOT NULL,
  user TEXT,
  hash TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX audit_events_ts ON audit_events (ts);

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  node TEXT NOT NULL,
  kind TEXT NOT NULL,
  user TEXT NOT NULL,
  src TEXT NOT NULL,
  target TEXT NOT NULL,
  login TEXT,
  destination TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  reason TEXT,
  bytes_up INTEGER NOT NULL DEFAULT 0,
  bytes_down INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_live ON sessions (ended_at);
`;
