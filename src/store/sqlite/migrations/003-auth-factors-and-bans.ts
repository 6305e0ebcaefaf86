/** Second factors and passwords (kept apart from the User resource, which `apply` rewrites) and bans. */
export const up = `
CREATE TABLE user_factors (
  user TEXT PRIMARY KEY,
  password_hash TEXT,
  totp_sealed TEXT,
  totp_last_step INTEGER NOT NULL DEFAULT 0,
  recovery_hashes TEXT NOT NULL DEFAULT '[]',
  updated_at TEXT NOT NULL
);
CREATE TABLE bans (
  address TEXT PRIMARY KEY,
  until TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_at TEXT NOT NULL
);
`;
