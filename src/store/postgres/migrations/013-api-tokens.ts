/** API tokens for scripts (`jumpgate token create`, SPEC §4, §9): only a SHA-256 of each token is kept. */
export const up = `
CREATE TABLE api_tokens (
  name text PRIMARY KEY,
  token_hash text NOT NULL UNIQUE,
  admin text NOT NULL CHECK (admin IN ('read', 'write')),
  created_at text NOT NULL,
  created_by text NOT NULL,
  expires_at text
);
`;
