/**
 * Resources, the audit chain and sessions: the tables and columns of the SQLite store's
 * migration 1. Times are ISO 8601 UTC text, as there, so they compare and round-trip alike;
 * "user" is quoted, a reserved word in PostgreSQL.
 */
export const up = `
CREATE TABLE users (name text PRIMARY KEY, body text NOT NULL, updated_at text NOT NULL);
CREATE TABLE targets (name text PRIMARY KEY, body text NOT NULL, updated_at text NOT NULL);
CREATE TABLE roles (name text PRIMARY KEY, body text NOT NULL, updated_at text NOT NULL);
CREATE TABLE credentials (name text PRIMARY KEY, body text NOT NULL, updated_at text NOT NULL);

CREATE TABLE audit_events (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  ts text NOT NULL,
  type text NOT NULL,
  "user" text,
  hash text NOT NULL,
  -- The event exactly as sealed: audit verify re-hashes these bytes.
  body text NOT NULL
);
CREATE INDEX audit_events_ts ON audit_events (ts);

CREATE TABLE sessions (
  id text PRIMARY KEY,
  node text NOT NULL,
  kind text NOT NULL,
  "user" text NOT NULL,
  src text NOT NULL,
  target text NOT NULL,
  login text,
  destination text NOT NULL,
  started_at text NOT NULL,
  ended_at text,
  reason text,
  bytes_up bigint NOT NULL DEFAULT 0,
  bytes_down bigint NOT NULL DEFAULT 0
);
CREATE INDEX sessions_live ON sessions (ended_at);
`;
