/**
 * Recovery codes of the first version held 40 random bits, stored as unsalted SHA-256:
 * a copy of the store gave every one of them away in minutes. They are withdrawn; only
 * argon2id hashes stay. TOTP secrets are untouched; users get new codes with
 * `jumpgate user totp NAME`.
 */
export const up = `
UPDATE user_factors
SET recovery_hashes = (
  SELECT json_group_array(value) FROM json_each(user_factors.recovery_hashes) WHERE value LIKE '$argon2id$%'
)
WHERE recovery_hashes != '[]';
`;
