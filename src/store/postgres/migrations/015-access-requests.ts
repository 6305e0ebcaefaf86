/**
 * Just-in-time access requests and the grants they become (SPEC §12). Times are RFC 3339 UTC
 * text, as in the SQLite store, so they order as text.
 */
export const up = `
CREATE TABLE access_requests (
  id text PRIMARY KEY,
  "user" text NOT NULL,
  role text NOT NULL,
  duration_ms bigint NOT NULL,
  reason text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
  created_at text NOT NULL,
  lapses_at text NOT NULL,
  decided_by text,
  decided_at text,
  decision_reason text,
  until text
);
CREATE INDEX access_requests_by_user ON access_requests ("user", status);
CREATE INDEX access_requests_open ON access_requests (status, lapses_at);
`;
