import { GENESIS } from '../../../audit/hash-chain.js';

/**
 * The head of the audit hash chain as one row. Every append (and every resource change with
 * its events) reads and moves it in its own transaction while holding the write lock, so the
 * appenders of every process queue on it and each event gets one place in one chain.
 */
export const up = `
CREATE TABLE audit_chain_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO audit_chain_head (id, seq, hash)
SELECT 1, COALESCE(MAX(seq), 0), COALESCE((SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1), '${GENESIS}')
FROM audit_events;
`;
