/**
 * Several nodes on one store (SPEC §10): each node's heartbeat, session recordings written
 * to the store as they are made (so any node can replay them), and the trusted user CA keys
 * and revoked keys that `jumpgate ca` adds (so every node uses them at the next login), and
 * authentication failures within bans.findWindow, counted once for all nodes.
 */
export const up = `
CREATE TABLE nodes (
  name TEXT PRIMARY KEY,
  address TEXT NOT NULL,
  version TEXT NOT NULL,
  started_at TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL,
  -- Moves at every heartbeat: another node that sees it stand still for cluster.deadAfter
  -- (by its own clock, so clocks need not agree) declares the node dead.
  beats INTEGER NOT NULL DEFAULT 0,
  down_at TEXT,
  down_reason TEXT
);
CREATE TABLE recording_chunks (
  session_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (session_id, seq)
);
CREATE TABLE user_key_lists (
  list TEXT NOT NULL,
  -- Base64 of the key blob compared at login (for a revoked certificate: the key it certifies).
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  line TEXT NOT NULL,
  added_at TEXT NOT NULL,
  added_by TEXT NOT NULL,
  PRIMARY KEY (list, key)
);
CREATE TABLE auth_failures (
  -- An address, or user:NAME.
  key TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX auth_failures_key ON auth_failures (key, at);
CREATE INDEX auth_failures_at ON auth_failures (at);
`;
