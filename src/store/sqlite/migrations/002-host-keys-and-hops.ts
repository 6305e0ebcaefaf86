/** Upstream host keys (pinned by trust on first use) and the hop path a session runs through. */
export const up = `
CREATE TABLE host_keys (
  name TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  key_type TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
ALTER TABLE sessions ADD COLUMN via TEXT;
`;
