/**
 * Keys the gateway itself holds (the target CA), sealed under the vault key like every
 * secret, and leases: the one node that runs a scheduled job (credential rotation) holds
 * its lease until it expires or is renewed.
 */
export const up = `
CREATE TABLE gateway_keys (
  name text PRIMARY KEY,
  sealed text NOT NULL,
  public_key text NOT NULL,
  created_at text NOT NULL
);
CREATE TABLE leases (
  name text PRIMARY KEY,
  holder text NOT NULL,
  expires_at text NOT NULL
);
`;
