import type Database from 'better-sqlite3';
import type { AccessRequestStore, RequestAudit, RequestCreation, RequestDecision, RequestStep, StoredAuditEvent } from '../store.js';
import type { AccessRequestRecord, RequestStatus } from '../../requests/access-request.js';
import type { SqliteAuditStore } from './sqlite-audit-store.js';
import { toRequest, type RequestRow } from '../request-row.js';

type Row = RequestRow;

export class SqliteRequestStore implements AccessRequestStore {
  private readonly createTx: (request: AccessRequestRecord, max: number, audit: RequestAudit) => RequestStep<RequestCreation>;
  private readonly decideTx: (id: string, decision: RequestDecision, audit: RequestAudit) => RequestStep<AccessRequestRecord | null>;
  private readonly expireTx: (now: string, limit: number, audit: RequestAudit) => RequestStep<AccessRequestRecord[]>;
  private readonly selectOne: Database.Statement<[string], Row>;
  private readonly selectGrants: Database.Statement<[string, string], Row>;
  private readonly selectDue: Database.Statement<[string], { due: number }>;

  constructor(private readonly db: Database.Database, audit: SqliteAuditStore) {
    this.selectOne = db.prepare('SELECT * FROM access_requests WHERE id = ?');
    this.selectDue = db.prepare(`SELECT 1 AS due FROM access_requests WHERE status IN ('pending', 'approved') AND lapses_at <= ? LIMIT 1`);
    this.selectGrants = db.prepare(`SELECT * FROM access_requests WHERE "user" = ? AND status = 'approved' AND until > ? ORDER BY until`);
    const pending = db.prepare<[string], { count: number; roles: string | null }>(
      `SELECT count(*) AS count, json_group_array(role) AS roles FROM access_requests WHERE "user" = ? AND status = 'pending'`);
    const insert = db.prepare(`INSERT INTO access_requests (id, "user", role, duration_ms, reason, status, created_at, lapses_at)
      VALUES (@id, @user, @role, @durationMs, @reason, @status, @createdAt, @lapsesAt)`);
    const decide = db.prepare<[string, string, string | null, string | null, string | null, string | null, string, string], Row>(
      `UPDATE access_requests SET status = ?, decided_by = ?, decided_at = ?, decision_reason = ?, until = ?, lapses_at = coalesce(?, lapses_at)
       WHERE id = ? AND status = 'pending' AND lapses_at > ? RETURNING *`);
    const expire = db.prepare<[string, number, string], Row>(
      `UPDATE access_requests SET status = 'expired' WHERE id IN (
         SELECT id FROM access_requests WHERE status IN ('pending', 'approved') AND lapses_at <= ? ORDER BY lapses_at LIMIT ?
       ) AND status IN ('pending', 'approved') AND lapses_at <= ? RETURNING *`);
    const events = (requests: AccessRequestRecord[], requestAudit: RequestAudit): StoredAuditEvent[] =>
      requests.map((request) => audit.appendInTransaction(requestAudit.event(request), requestAudit.seal));

    // IMMEDIATE transactions: the write lock is taken before the count is read, so two
    // processes on one file cannot both pass the limit.
    const createTx = db.transaction((request: AccessRequestRecord, max: number, requestAudit: RequestAudit): RequestStep<RequestCreation> => {
      const open = pending.get(request.user)!;
      const roles = JSON.parse(open.roles ?? '[]') as (string | null)[];
      if (roles.includes(request.role)) return { result: 'duplicate', events: [] };
      if (open.count >= max) return { result: 'too-many', events: [] };
      insert.run(request);
      return { result: 'created', events: events([request], requestAudit) };
    });
    this.createTx = (request, max, requestAudit) => createTx.immediate(request, max, requestAudit);
    const decideTx = db.transaction((id: string, decision: RequestDecision, requestAudit: RequestAudit) => {
      const row = decide.get(decision.status, decision.by, decision.at, decision.reason, decision.until, decision.until, id, decision.at);
      if (!row) return { result: null, events: [] };
      const request = toRequest(row);
      return { result: request, events: events([request], requestAudit) };
    });
    this.decideTx = (id, decision, requestAudit) => decideTx.immediate(id, decision, requestAudit);
    const expireTx = db.transaction((now: string, limit: number, requestAudit: RequestAudit) => {
      const requests = expire.all(now, Math.max(1, Math.floor(limit)), now).map(toRequest).sort((a, b) => a.lapsesAt.localeCompare(b.lapsesAt));
      return { result: requests, events: events(requests, requestAudit) };
    });
    this.expireTx = (now, limit, requestAudit) => expireTx.immediate(now, limit, requestAudit);
  }

  async create(request: AccessRequestRecord, limits: { maxPendingPerUser: number }, audit: RequestAudit): Promise<RequestStep<RequestCreation>> {
    return this.createTx(request, limits.maxPendingPerUser, audit);
  }

  async get(id: string): Promise<AccessRequestRecord | null> {
    const row = this.selectOne.get(id);
    return row ? toRequest(row) : null;
  }

  async list(filter: { user?: string; status?: readonly RequestStatus[]; limit: number }): Promise<AccessRequestRecord[]> {
    const where: string[] = [];
    const values: (string | number)[] = [];
    if (filter.user !== undefined) {
      where.push('"user" = ?');
      values.push(filter.user);
    }
    if (filter.status) {
      where.push(`status IN (${filter.status.map(() => '?').join(', ') || 'NULL'})`);
      values.push(...filter.status);
    }
    values.push(Math.max(1, Math.floor(filter.limit)));
    const sql = `SELECT * FROM access_requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT ?`;
    return this.db.prepare<(string | number)[], Row>(sql).all(...values).map(toRequest);
  }

  async decide(id: string, decision: RequestDecision, audit: RequestAudit): Promise<RequestStep<AccessRequestRecord | null>> {
    return this.decideTx(id, decision, audit);
  }

  async liveGrants(user: string, now: Date): Promise<AccessRequestRecord[]> {
    return this.selectGrants.all(user, now.toISOString()).map(toRequest);
  }

  async expire(now: Date, limit: number, audit: RequestAudit): Promise<RequestStep<AccessRequestRecord[]>> {
    // Every process sweeps every few seconds: most sweeps find nothing, and take no write lock to find it.
    if (!this.selectDue.get(now.toISOString())) return { result: [], events: [] };
    return this.expireTx(now.toISOString(), limit, audit);
  }
}
