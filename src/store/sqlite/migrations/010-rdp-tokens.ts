/** Gateway access tokens (SPEC §11): the hash of each id, whom and what it is for, and whether it was used. */
export const up = `
CREATE TABLE rdp_tokens (
  id_hash TEXT PRIMARY KEY,
  user TEXT NOT NULL,
  target TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  used_at TEXT
);
CREATE INDEX rdp_tokens_expiry ON rdp_tokens (expires_at);
`;
