import type Database from 'better-sqlite3';
import type { AuditStore, AuditFilter } from '../store.js';
import type { AuditDraft, AuditEvent } from '../../audit/events.js';
import { GENESIS } from '../../audit/hash-chain.js';

export class SqliteAuditStore implements AuditStore {
  private readonly selectHead: Database.Statement<[], { hash: string }>;
  private readonly insert: Database.Statement<[string, string, string, string | null, string, string]>;
  private readonly appendTx: (draft: AuditDraft, seal: (d: AuditDraft, prev: string) => AuditEvent, onSealed: (e: AuditEvent) => void) => AuditEvent;

  constructor(private readonly db: Database.Database) {
    this.selectHead = db.prepare('SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1');
    this.insert = db.prepare('INSERT INTO audit_events (id, ts, type, user, hash, body) VALUES (?, ?, ?, ?, ?, ?)');
    const tx = db.transaction((draft: AuditDraft, seal: (d: AuditDraft, prev: string) => AuditEvent, onSealed: (e: AuditEvent) => void) => {
      const event = seal(draft, this.selectHead.get()?.hash ?? GENESIS);
      onSealed(event);
      this.insert.run(event.id, event.ts, event.type, event.user, event.hash, JSON.stringify(event));
      return event;
    });
    // IMMEDIATE takes the write lock before reading the head, so two processes never
    // seal events on the same head.
    this.appendTx = (draft, seal, onSealed) => tx.immediate(draft, seal, onSealed);
  }

  async append(draft: AuditDraft, seal: (d: AuditDraft, prev: string) => AuditEvent, onSealed: (e: AuditEvent) => void): Promise<AuditEvent> {
    return this.appendTx(draft, seal, onSealed);
  }

  async exclusive(work: () => void): Promise<void> {
    this.db.transaction(work).immediate();
  }

  async head(): Promise<string> {
    return this.selectHead.get()?.hash ?? GENESIS;
  }

  async list(filter: AuditFilter): Promise<(AuditEvent & { seq: number })[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.since) { where.push('ts >= ?'); params.push(filter.since); }
    if (filter.user) { where.push('user = ?'); params.push(filter.user); }
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
