import type Database from 'better-sqlite3';
import type { SessionAudit, SessionStore, StoredAuditEvent } from '../store.js';
import type { SessionRecord, SessionEnd } from '../../domain/session.js';
import type { SqliteAuditStore } from './sqlite-audit-store.js';

interface Row {
  id: string; node: string; kind: string; user: string; src: string; target: string; login: string | null;
  destination: string; via: string | null; started_at: string; ended_at: string | null; reason: string | null; bytes_up: number; bytes_down: number;
}

function toRecord(row: Row): SessionRecord {
  return {
    id: row.id, node: row.node, kind: row.kind as SessionRecord['kind'], user: row.user, src: row.src, target: row.target,
    login: row.login, destination: row.destination, via: row.via, startedAt: row.started_at, endedAt: row.ended_at,
    reason: row.reason as SessionRecord['reason'], bytesUp: row.bytes_up, bytesDown: row.bytes_down,
  };
}

type StartRow = SessionRecord & { maxLivePerUser: number; workerPid: number | null };

export class SqliteSessionStore implements SessionStore {
  private readonly startTx: (row: StartRow, audit: SessionAudit) => StoredAuditEvent | null;
  private readonly endTx: (id: string, end: SessionEnd, audit: SessionAudit) => StoredAuditEvent | null;
  private readonly selectOne: Database.Statement<[string], Row>;
  private readonly selectLive: Database.Statement<[], Row>;
  private readonly selectAll: Database.Statement<[], Row>;
  private readonly finishOrphans: Database.Statement<[{ node: string; endedAt: string; reason: string }], Row>;
  private readonly finishWorkerOrphans: Database.Statement<[{ node: string; workerPid: number; endedAt: string; reason: string }], Row>;
  private readonly markKill: Database.Statement<[string, string]>;
  private readonly selectKills: Database.Statement<[string], { id: string }>;

  constructor(db: Database.Database, audit: SqliteAuditStore) {
    // The count and the insert are one statement, and it runs in an IMMEDIATE transaction:
    // the write lock is taken before the count is read, so another process (or node on the
    // same file) cannot register a session between the two. The event is sealed in the same
    // transaction, on the head that lock keeps still.
    const insert = db.prepare(`INSERT INTO sessions (id, node, kind, user, src, target, login, destination, via, started_at, worker_pid)
      SELECT @id, @node, @kind, @user, @src, @target, @login, @destination, @via, @startedAt, @workerPid
      WHERE (SELECT COUNT(*) FROM sessions WHERE user = @user AND ended_at IS NULL) < @maxLivePerUser`);
    const startTx = db.transaction((row: StartRow, sessionAudit: SessionAudit) =>
      insert.run(row).changes > 0 ? audit.appendInTransaction(sessionAudit.draft, sessionAudit.seal) : null);
    this.startTx = (row, sessionAudit) => startTx.immediate(row, sessionAudit);
    const finish = db.prepare(`UPDATE sessions SET ended_at = @endedAt, reason = @reason, bytes_up = @bytesUp, bytes_down = @bytesDown
      WHERE id = @id AND ended_at IS NULL`);
    // A session another process ended already (its node declared lost) has its session.end.
    const endTx = db.transaction((id: string, end: SessionEnd, sessionAudit: SessionAudit) =>
      finish.run({ id, ...end }).changes > 0 ? audit.appendInTransaction(sessionAudit.draft, sessionAudit.seal) : null);
    this.endTx = (id, end, sessionAudit) => endTx.immediate(id, end, sessionAudit);
    this.selectOne = db.prepare('SELECT * FROM sessions WHERE id = ?');
    this.selectLive = db.prepare('SELECT * FROM sessions WHERE ended_at IS NULL ORDER BY started_at');
    this.selectAll = db.prepare('SELECT * FROM sessions ORDER BY started_at');
    this.markKill = db.prepare('UPDATE sessions SET kill_requested_at = ? WHERE id = ? AND ended_at IS NULL');
    this.selectKills = db.prepare('SELECT id FROM sessions WHERE node = ? AND ended_at IS NULL AND kill_requested_at IS NOT NULL');
    this.finishOrphans = db.prepare(`UPDATE sessions SET ended_at = @endedAt, reason = @reason WHERE node = @node AND ended_at IS NULL RETURNING *`);
    this.finishWorkerOrphans = db.prepare(`UPDATE sessions SET ended_at = @endedAt, reason = @reason
      WHERE node = @node AND worker_pid = @workerPid AND ended_at IS NULL RETURNING *`);
  }

  async start(session: SessionRecord, limit: { maxLivePerUser: number }, audit: SessionAudit, workerPid?: number): Promise<StoredAuditEvent | null> {
    return this.startTx({ ...session, maxLivePerUser: limit.maxLivePerUser, workerPid: workerPid ?? null }, audit);
  }

  async end(id: string, end: SessionEnd, audit: SessionAudit): Promise<StoredAuditEvent | null> {
    return this.endTx(id, end, audit);
  }

  async get(id: string): Promise<SessionRecord | null> {
    const row = this.selectOne.get(id);
    return row ? toRecord(row) : null;
  }

  async list({ includeEnded }: { includeEnded: boolean }): Promise<SessionRecord[]> {
    return (includeEnded ? this.selectAll : this.selectLive).all().map(toRecord);
  }

  async requestKill(id: string): Promise<boolean> {
    return this.markKill.run(new Date().toISOString(), id).changes > 0;
  }

  async killRequests(node: string): Promise<string[]> {
    return this.selectKills.all(node).map((row) => row.id);
  }

  async endOrphans(node: string, end: SessionEnd, workerPid?: number): Promise<SessionRecord[]> {
    const rows = workerPid === undefined
      ? this.finishOrphans.all({ node, endedAt: end.endedAt, reason: end.reason })
      : this.finishWorkerOrphans.all({ node, workerPid, endedAt: end.endedAt, reason: end.reason });
    return rows.map(toRecord);
  }
}
