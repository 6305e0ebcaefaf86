/**
 * Recovery codes of the first version (40 random bits, unsalted SHA-256) are withdrawn; only
 * argon2id hashes stay (the SQLite store's migration 6 says why).
 */
export const up = `
UPDATE user_factors
SET recovery_hashes = COALESCE(
  (SELECT jsonb_agg(code) FROM jsonb_array_elements_text(user_factors.recovery_hashes) AS code WHERE code LIKE '$argon2id$%'),
  '[]'::jsonb)
WHERE recovery_hashes <> '[]'::jsonb;
`;
