/**
 * Keys the gateway itself holds (the target CA), sealed under the vault key like every
 * secret, and leases: the one node that runs a scheduled job (credential rotation) holds
 * its lease until it expires or is renewed.
 */
export const up = `
CREATE TABLE gateway_keys (
  name TEXT PRIMARY KEY,
  sealed TEXT NOT NULL,
  public_key TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
`;
