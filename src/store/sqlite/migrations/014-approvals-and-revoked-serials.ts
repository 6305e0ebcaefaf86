/**
 * Browser approvals (SPEC §12): one row per code, stored so any node can approve what
 * another node asked (the hash of the code, never the code); and the serials of user
 * certificates jumpgate's user CA signed that an operator revoked.
 */
export const up = `
CREATE TABLE approvals (
  code_hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('ssh-login', 'certificate')),
  user TEXT,
  subject TEXT NOT NULL,
  poll_hash TEXT UNIQUE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  approved_by TEXT,
  approved_at TEXT,
  claimed_at TEXT
);
CREATE INDEX approvals_expiry ON approvals (expires_at);
CREATE TABLE revoked_serials (
  serial TEXT PRIMARY KEY,
  revoked_at TEXT NOT NULL,
  revoked_by TEXT NOT NULL,
  reason TEXT NOT NULL
);
`;
