/**
 * Every query for live sessions (the list, kill requests, a lost node's or worker's orphans,
 * the per-user count) reads the partial index of live sessions (017). The index on ended_at
 * over every session ever held only that, and each session start and end wrote it: about a
 * tenth of the pages a jump session writes.
 */
export const up = `
DROP INDEX sessions_live;
`;
