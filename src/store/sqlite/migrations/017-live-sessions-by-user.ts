/**
 * The count of a user's live sessions (sessions.maxSessionsPerUser, read at every session
 * start) reads only that user's live sessions, from the index alone, not every live session
 * with a row lookup each.
 */
export const up = `
CREATE INDEX sessions_live_by_user ON sessions (user, ended_at) WHERE ended_at IS NULL;
`;
