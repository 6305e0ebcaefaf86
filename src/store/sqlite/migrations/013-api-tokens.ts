/** API tokens for scripts (`jumpgate token create`, SPEC §4, §9): only a SHA-256 of each token is kept. */
export const up = `
CREATE TABLE api_tokens (
  name TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  admin TEXT NOT NULL CHECK (admin IN ('read', 'write')),
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  expires_at TEXT
);
`;
