/** `sessions kill` from any process: a request the gateway node holding the session acts on. */
export const up = `
ALTER TABLE sessions ADD COLUMN kill_requested_at text;
`;
