/** Second factors and passwords (kept apart from the User resource, which `apply` rewrites) and bans. */
export const up = `
CREATE TABLE user_factors (
  "user" text PRIMARY KEY,
  password_hash text,
  totp_sealed text,
  totp_last_step bigint NOT NULL DEFAULT 0,
  -- A JSON array of argon2id hashes, as in SQLite; jsonb lets one UPDATE remove a used one.
  recovery_hashes jsonb NOT NULL DEFAULT '[]',
  updated_at text NOT NULL
);
CREATE TABLE bans (
  address text PRIMARY KEY,
  until text NOT NULL,
  reason text NOT NULL,
  created_at text NOT NULL
);
`;
