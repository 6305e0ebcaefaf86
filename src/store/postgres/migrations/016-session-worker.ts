/**
 * Which worker process of its node holds a live session (`ssh.workers`): when one worker
 * dies, its primary ends exactly that worker's sessions, with no message per session.
 */
export const up = `
ALTER TABLE sessions ADD COLUMN worker_pid INTEGER;
`;
