/**
 * Several nodes on one store (SPEC §10): each node's heartbeat, session recordings written
 * to the store as they are made (so any node can replay them), and the trusted user CA keys
 * and revoked keys that `jumpgate ca` adds (so every node uses them at the next login), and
 * authentication failures within bans.findWindow, counted once for all nodes.
 */
export const up = `
CREATE TABLE nodes (
  name text PRIMARY KEY,
  address text NOT NULL,
  version text NOT NULL,
  started_at text NOT NULL,
  heartbeat_at text NOT NULL,
  -- Moves at every heartbeat: another node that sees it stand still for cluster.deadAfter
  -- (by its own clock, so clocks need not agree) declares the node dead.
  beats bigint NOT NULL DEFAULT 0,
  down_at text,
  down_reason text
);
CREATE TABLE recording_chunks (
  session_id text NOT NULL,
  seq integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (session_id, seq)
);
CREATE TABLE user_key_lists (
  list text NOT NULL,
  -- Base64 of the key blob compared at login (for a revoked certificate: the key it certifies).
  key text NOT NULL,
  fingerprint text NOT NULL,
  line text NOT NULL,
  added_at text NOT NULL,
  added_by text NOT NULL,
  PRIMARY KEY (list, key)
);
CREATE TABLE auth_failures (
  -- An address, or user:NAME.
  key text NOT NULL,
  at text NOT NULL
);
CREATE INDEX auth_failures_key ON auth_failures (key, at);
CREATE INDEX auth_failures_at ON auth_failures (at);
`;
