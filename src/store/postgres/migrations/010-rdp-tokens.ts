/** Gateway access tokens (SPEC §11): the hash of each id, whom and what it is for, and whether it was used. */
export const up = `
CREATE TABLE rdp_tokens (
  id_hash text PRIMARY KEY,
  "user" text NOT NULL,
  target text NOT NULL,
  expires_at text NOT NULL,
  created_at text NOT NULL,
  used_at text
);
CREATE INDEX rdp_tokens_expiry ON rdp_tokens (expires_at);
`;
