/**
 * Browser approvals (SPEC §12): one row per code, stored so any node can approve what
 * another node asked (the hash of the code, never the code); and the serials of user
 * certificates jumpgate's user CA signed that an operator revoked.
 */
export const up = `
CREATE TABLE approvals (
  code_hash text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('ssh-login', 'certificate')),
  "user" text,
  subject text NOT NULL,
  poll_hash text UNIQUE,
  created_at text NOT NULL,
  expires_at text NOT NULL,
  approved_by text,
  approved_at text,
  claimed_at text
);
CREATE INDEX approvals_expiry ON approvals (expires_at);
CREATE TABLE revoked_serials (
  serial text PRIMARY KEY,
  revoked_at text NOT NULL,
  revoked_by text NOT NULL,
  reason text NOT NULL
);
`;
