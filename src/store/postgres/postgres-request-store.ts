import type pg from 'pg';
import type { AccessRequestStore, RequestAudit, RequestCreation, RequestDecision, RequestStep, StoredAuditEvent } from '../store.js';
import type { AccessRequestRecord, RequestStatus } from '../../requests/access-request.js';
import type { PostgresAuditStore } from './postgres-audit-store.js';
import { inTransaction } from './postgres-database.js';
import { toRequest, type RequestRow as Row } from '../request-row.js';

/**
 * Every step that writes takes the audit chain head's lock first, as `applyChanges` does: the
 * step's event goes on the chain in the same transaction anyway, and holding the head
 * serialises the steps of every node, so a count read before an insert stays true.
 */
export class PostgresRequestStore implements AccessRequestStore {
  constructor(private readonly pool: pg.Pool, private readonly audit: PostgresAuditStore) {}

  async create(request: AccessRequestRecord, limits: { maxPendingPerUser: number }, requestAudit: RequestAudit): Promise<RequestStep<RequestCreation>> {
    return inTransaction(this.pool, async (client) => {
      await client.query('SELECT 1 FROM audit_chain_head WHERE id = 1 FOR UPDATE');
      const { rows } = await client.query<{ role: string }>(`SELECT role FROM access_requests WHERE "user" = $1 AND status = 'pending'`, [request.user]);
      if (rows.some((row) => row.role === request.role)) return { result: 'duplicate' as const, events: [] };
      if (rows.length >= limits.maxPendingPerUser) return { result: 'too-many' as const, events: [] };
      await client.query(`INSERT INTO access_requests (id, "user", role, duration_ms, reason, status, created_at, lapses_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [request.id, request.user, request.role, request.durationMs, request.reason, request.status, request.createdAt, request.lapsesAt]);
      return { result: 'created' as const, events: await this.events(client, [request], requestAudit) };
    });
  }

  async get(id: string): Promise<AccessRequestRecord | null> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM access_requests WHERE id = $1', [id]);
    return rows[0] ? toRequest(rows[0]) : null;
  }

  async list(filter: { user?: string; status?: readonly RequestStatus[]; limit: number }): Promise<AccessRequestRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (filter.user !== undefined) {
      values.push(filter.user);
      where.push(`"user" = $${values.length}`);
    }
    if (filter.status) {
      values.push([...filter.status]);
      where.push(`status = ANY($${values.length}::text[])`);
    }
    values.push(Math.max(1, Math.floor(filter.limit)));
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM access_requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id COLLATE "C" LIMIT $${values.length}`, values);
    return rows.map(toRequest);
  }

  async decide(id: string, decision: RequestDecision, requestAudit: RequestAudit): Promise<RequestStep<AccessRequestRecord | null>> {
    return inTransaction(this.pool, async (client) => {
      await client.query('SELECT 1 FROM audit_chain_head WHERE id = 1 FOR UPDATE');
      const { rows } = await client.query<Row>(
        `UPDATE access_requests SET status = $1, decided_by = $2, decided_at = $3, decision_reason = $4, until = $5, lapses_at = coalesce($5, lapses_at)
         WHERE id = $6 AND status = 'pending' AND lapses_at > $3 RETURNING *`,
        [decision.status, decision.by, decision.at, decision.reason, decision.until, id]);
      if (!rows[0]) return { result: null, events: [] };
      const request = toRequest(rows[0]);
      return { result: request, events: await this.events(client, [request], requestAudit) };
    });
  }

  async liveGrants(user: string, now: Date): Promise<AccessRequestRecord[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM access_requests WHERE "user" = $1 AND status = 'approved' AND until > $2 ORDER BY until`, [user, now.toISOString()]);
    return rows.map(toRequest);
  }

  async expire(now: Date, limit: number, requestAudit: RequestAudit): Promise<RequestStep<AccessRequestRecord[]>> {
    // Every node sweeps every few seconds: most sweeps find nothing, and take no lock to find it.
    const due = await this.pool.query(`SELECT 1 FROM access_requests WHERE status IN ('pending', 'approved') AND lapses_at <= $1 LIMIT 1`, [now.toISOString()]);
    if (due.rows.length === 0) return { result: [], events: [] };
    return inTransaction(this.pool, async (client) => {
      await client.query('SELECT 1 FROM audit_chain_head WHERE id = 1 FOR UPDATE');
      const { rows } = await client.query<Row>(
        `UPDATE access_requests SET status = 'expired' WHERE id IN (
           SELECT id FROM access_requests WHERE status IN ('pending', 'approved') AND lapses_at <= $1 ORDER BY lapses_at LIMIT $2
         ) AND status IN ('pending', 'approved') AND lapses_at <= $1 RETURNING *`,
        [now.toISOString(), Math.max(1, Math.floor(limit))]);
      const requests = rows.map(toRequest).sort((a, b) => a.lapsesAt.localeCompare(b.lapsesAt));
      return { result: requests, events: await this.events(client, requests, requestAudit) };
    });
  }

  private async events(client: pg.PoolClient, requests: AccessRequestRecord[], requestAudit: RequestAudit): Promise<StoredAuditEvent[]> {
    const events: StoredAuditEvent[] = [];
    for (const request of requests) events.push(await this.audit.appendIn(client, requestAudit.event(request), requestAudit.seal));
    return events;
  }
}
