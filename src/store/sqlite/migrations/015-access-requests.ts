/** Just-in-time access requests and the grants they become (SPEC §12). Times are RFC 3339 UTC text, so they order as text. */
export const up = `
CREATE TABLE access_requests (
  id TEXT PRIMARY KEY,
  "user" TEXT NOT NULL,
  role TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  reason TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
  created_at TEXT NOT NULL,
  lapses_at TEXT NOT NULL,
  decided_by TEXT,
  decided_at TEXT,
  decision_reason TEXT,
  until TEXT
);
CREATE INDEX access_requests_by_user ON access_requests ("user", status);
CREATE INDEX access_requests_open ON access_requests (status, lapses_at);
`;
