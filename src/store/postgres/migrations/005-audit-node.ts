/**
 * The node of each audit event as a column: every node's audit.log holds its own events, and
 * `audit verify` and the sinks' feed read one node's events without parsing every body.
 */
export const up = `
ALTER TABLE audit_events ADD COLUMN node text;
UPDATE audit_events SET node = body::jsonb ->> 'node';
CREATE INDEX audit_events_node ON audit_events (node, seq);
`;
