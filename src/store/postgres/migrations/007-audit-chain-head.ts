import { GENESIS } from '../../../audit/hash-chain.js';

/**
 * The head of the audit hash chain as one row. Every append, from every process of every
 * node, locks it (`SELECT … FOR UPDATE`) before sealing on it and moves it in the same
 * transaction: appenders queue on that lock, so the chain has one order and never forks.
 */
export const up = `
CREATE TABLE audit_chain_head (
  id integer PRIMARY KEY CHECK (id = 1),
  seq bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO audit_chain_head (id, seq, hash)
SELECT 1, COALESCE(MAX(seq), 0), COALESCE((SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1), '${GENESIS}')
FROM audit_events;
`;
