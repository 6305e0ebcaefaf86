/** An access request as both stores keep it: one row of `access_requests` (migration 15). */
import type { AccessRequestRecord, RequestStatus } from '../requests/access-request.js';

export interface RequestRow {
  id: string; user: string; role: string;
  /** PostgreSQL's bigint arrives as text. */
  duration_ms: number | string;
  reason: string; status: RequestStatus; created_at: string; lapses_at: string;
  decided_by: string | null; decided_at: string | null; decision_reason: string | null; until: string | null;
}

export function toRequest(row: RequestRow): AccessRequestRecord {
  return {
    id: row.id, user: row.user, role: row.role, durationMs: Number(row.duration_ms), reason: row.reason, status: row.status, createdAt: row.created_at,
    lapsesAt: row.lapses_at, decidedBy: row.decided_by, decidedAt: row.decided_at, decisionReason: row.decision_reason, until: row.until,
  };
}
