import type pg from 'pg';
import type { SessionAudit, SessionStore, StoredAuditEvent } from '../store.js';
import type { SessionRecord, SessionEnd } from '../../domain/session.js';
import type { PostgresAuditStore } from './postgres-audit-store.js';
import { inTransaction, toNumber } from './postgres-database.js';

interface Row {
  id: string; node: string; kind: string; user: string; src: string; target: string; login: string | null;
  destination: string; via: string | null; started_at: string; ended_at: string | null; reason: string | null;
  bytes_up: string; bytes_down: string;
}

function toRecord(row: Row): SessionRecord {
  return {
    id: row.id, node: row.node, kind: row.kind as SessionRecord['kind'], user: row.user, src: row.src, target: row.target,
    login: row.login, destination: row.destination, via: row.via, startedAt: row.started_at, endedAt: row.ended_at,
    reason: row.reason as SessionRecord['reason'], bytesUp: toNumber(row.bytes_up), bytesDown: toNumber(row.bytes_down),
  };
}

const COLUMNS = 'id, node, kind, "user", src, target, login, destination, via, started_at, ended_at, reason, bytes_up, bytes_down';

export class PostgresSessionStore implements SessionStore {
  constructor(private readonly pool: pg.Pool, private readonly audit: PostgresAuditStore) {}

  /**
   * Registers the session only while the user has fewer than the limit live, on every node:
   * a per-user advisory lock serialises the count and the insert (READ COMMITTED alone would
   * let two nodes count the same rows and both insert). The chain head is locked after the
   * insert, as every appender locks it last, so the head is held for the append alone.
   */
  async start(session: SessionRecord, limit: { maxLivePerUser: number }, audit: SessionAudit, workerPid?: number): Promise<StoredAuditEvent | null> {
    return inTransaction(this.pool, async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('jumpgate sessions of ' || $1, 0))`, [session.user]);
      const { rowCount } = await client.query(`INSERT INTO sessions (id, node, kind, "user", src, target, login, destination, via, started_at, worker_pid)
        SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $12
        WHERE (SELECT count(*) FROM sessions WHERE "user" = $4 AND ended_at IS NULL) < $11`,
      [session.id, session.node, session.kind, session.user, session.src, session.target, session.login, session.destination, session.via, session.startedAt, limit.maxLivePerUser, workerPid ?? null]);
      return (rowCount ?? 0) > 0 ? this.audit.appendIn(client, audit.draft, audit.seal) : null;
    });
  }

  async end(id: string, end: SessionEnd, audit: SessionAudit): Promise<StoredAuditEvent | null> {
    return inTransaction(this.pool, async (client) => {
      const { rowCount } = await client.query(`UPDATE sessions SET ended_at = $2, reason = $3, bytes_up = $4, bytes_down = $5
        WHERE id = $1 AND ended_at IS NULL`, [id, end.endedAt, end.reason, end.bytesUp, end.bytesDown]);
      // A session another node ended already (this one declared lost) has its session.end.
      return (rowCount ?? 0) > 0 ? this.audit.appendIn(client, audit.draft, audit.seal) : null;
    });
  }

  async get(id: string): Promise<SessionRecord | null> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM sessions WHERE id = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async list({ includeEnded }: { includeEnded: boolean }): Promise<SessionRecord[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM sessions ${includeEnded ? '' : 'WHERE ended_at IS NULL'} ORDER BY started_at, id`);
    return rows.map(toRecord);
  }

  async requestKill(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE sessions SET kill_requested_at = $2 WHERE id = $1 AND ended_at IS NULL',
      [id, new Date().toISOString()]);
    return (rowCount ?? 0) > 0;
  }

  async killRequests(node: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      'SELECT id FROM sessions WHERE node = $1 AND ended_at IS NULL AND kill_requested_at IS NOT NULL', [node]);
    return rows.map((row) => row.id);
  }

  async endOrphans(node: string, end: SessionEnd, workerPid?: number): Promise<SessionRecord[]> {
    const { rows } = await this.pool.query<Row>(`UPDATE sessions SET ended_at = $2, reason = $3
      WHERE node = $1 AND ended_at IS NULL AND ($4::integer IS NULL OR worker_pid = $4) RETURNING ${COLUMNS}`,
    [node, end.endedAt, end.reason, workerPid ?? null]);
    return rows.map(toRecord);
  }
}
