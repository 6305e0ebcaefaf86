import type Database from 'better-sqlite3';
import type { AuditStore, AuditFilter, AuditRow, StoredAuditEvent } from '../store.js';
import type { AuditDraft, AuditEvent } from '../../audit/events.js';
import { GENESIS } from '../../audit/hash-chain.js';

export class SqliteAuditStore implements AuditStore {
  private readonly selectHead: Database.Statement<[], { hash: string }>;
  private readonly moveHead: Database.Statement<[number, string]>;
  private readonly selectRows: Database.Statement<[number, number], AuditRow>;
  private readonly insert: Database.Statement<[string, string, string, string | null, string | null, string, string]>;
  private readonly appendTx: (draft: AuditDraft, seal: (d: AuditDraft, prev: string) => AuditEvent) => StoredAuditEvent;

  constructor(private readonly db: Database.Database) {
    this.selectHead = db.prepare('SELECT hash FROM audit_chain_head WHERE id = 1');
    this.moveHead = db.prepare('UPDATE audit_chain_head SET seq = ?, hash = ? WHERE id = 1');
    this.selectRows = db.prepare('SELECT seq, id, node, hash, body FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?');
    this.insert = db.prepare('INSERT INTO audit_events (id, ts, type, user, node, hash, body) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const tx = db.transaction((draft: AuditDraft, seal: (d: AuditDraft, prev: string) => AuditEvent) => this.appendInTransaction(draft, seal));
    // IMMEDIATE takes the database's write lock before the head is read: the appenders of
    // every process on this file queue there (busy_timeout), so two never seal on one head.
    this.appendTx = (draft, seal) => tx.immediate(draft, seal);
  }

  /** Seals and inserts one event and moves the chain head; the caller holds an IMMEDIATE transaction. */
  appendInTransaction(draft: AuditDraft, seal: (d: AuditDraft, prev: string) => AuditEvent): StoredAuditEvent {
    const event = seal(draft, this.currentHead());
    const { lastInsertRowid } = this.insert.run(event.id, event.ts, event.type, event.user, event.node, event.hash, JSON.stringify(event));
    const seq = Number(lastInsertRowid);
    this.moveHead.run(seq, event.hash);
    return { ...event, seq };
  }

  async append(draft: AuditDraft, seal: (d: AuditDraft, prev: string) => AuditEvent): Promise<StoredAuditEvent> {
    return this.appendTx(draft, seal);
  }

  async head(): Promise<string> {
    return this.currentHead();
  }

  private currentHead(): string {
    return this.selectHead.get()?.hash ?? GENESIS;
  }

  async rows(afterSeq: number, limit: number): Promise<AuditRow[]> {
    return this.selectRows.all(afterSeq, Math.max(1, Math.floor(limit)));
  }

  async list(filter: AuditFilter): Promise<StoredAuditEvent[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.since) { where.push('ts >= ?'); params.push(filter.since); }
    if (filter.user) { where.push('user = ?'); params.push(filter.user); }
    if (filter.node) { where.push('node = ?'); params.push(filter.node); }
    if (filter.type) {
      // `--type session` matches session.start and session.end.
      where.push('(type = ? OR type LIKE ?)'); params.push(filter.type, `${filter.type}.%`);
    }
    if (filter.afterSeq !== undefined) { where.push('seq > ?'); params.push(filter.afterSeq); }
    const sql = `SELECT seq, body FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq`
      + (filter.limit ? ` LIMIT ${Math.floor(filter.limit)}` : '');
    const rows = this.db.prepare(sql).all(...params) as { seq: number; body: string }[];
    return rows.map((row) => ({ ...(JSON.parse(row.body) as AuditEvent), seq: row.seq }));
  }
}
