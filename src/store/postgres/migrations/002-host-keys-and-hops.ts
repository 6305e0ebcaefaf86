/** Upstream host keys (pinned by trust on first use) and the hop path a session runs through. */
export const up = `
CREATE TABLE host_keys (
  name text PRIMARY KEY,
  fingerprint text NOT NULL,
  key_type text NOT NULL,
  first_seen text NOT NULL,
  updated_at text NOT NULL
);
ALTER TABLE sessions ADD COLUMN via text;
`;
