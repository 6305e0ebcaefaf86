/**
 * The count of a user's live sessions (sessions.maxSessionsPerUser, read at every session
 * start) walks only that user's live sessions, not every live session.
 */
export const up = `
CREATE INDEX sessions_live_by_user ON sessions ("user", ended_at) WHERE ended_at IS NULL;
`;
