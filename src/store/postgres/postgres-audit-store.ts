import type pg from 'pg';
import type { AuditStore, AuditFilter, AuditRow, StoredAuditEvent } from '../store.js';
import type { AuditDraft, AuditEvent } from '../../audit/events.js';
import { GENESIS } from '../../audit/hash-chain.js';
import { inTransaction, toNumber, type Queryable } from './postgres-database.js';

type Seal = (draft: AuditDraft, prev: string) => AuditEvent;

export class PostgresAuditStore implements AuditStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Locks the chain head, seals the draft on it, inserts the event and moves the head, in the
   * caller's transaction. The lock is held until that transaction ends: every appender of
   * every node queues on the one head row, and seq is drawn under it, so seq order is chain
   * order and commit order.
   */
  async appendIn(client: Queryable, draft: AuditDraft, seal: Seal): Promise<StoredAuditEvent> {
    const head = await client.query<{ hash: string }>('SELECT hash FROM audit_chain_head WHERE id = 1 FOR UPDATE');
    const event = seal(draft, head.rows[0]?.hash ?? GENESIS);
    const { rows } = await client.query<{ seq: string }>(`WITH appended AS (
        INSERT INTO audit_events (id, ts, type, "user", node, hash, body) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq
      )
      UPDATE audit_chain_head SET seq = appended.seq, hash = $6 FROM appended WHERE id = 1 RETURNING appended.seq`,
    [event.id, event.ts, event.type, event.user, event.node, event.hash, JSON.stringify(event)]);
    return { ...event, seq: toNumber(rows[0].seq) };
  }

  async append(draft: AuditDraft, seal: Seal): Promise<StoredAuditEvent> {
    return inTransaction(this.pool, (client) => this.appendIn(client, draft, seal));
  }

  async head(): Promise<string> {
    const { rows } = await this.pool.query<{ hash: string }>('SELECT hash FROM audit_chain_head WHERE id = 1');
    return rows[0]?.hash ?? GENESIS;
  }

  async rows(afterSeq: number, limit: number): Promise<AuditRow[]> {
    const { rows } = await this.pool.query<AuditRow & { seq: string }>(
      'SELECT seq, id, node, hash, body FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2',
      [afterSeq, Math.max(1, Math.floor(limit))]);
    return rows.map((row) => ({ ...row, seq: toNumber(row.seq) }));
  }

  async list(filter: AuditFilter): Promise<StoredAuditEvent[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const param = (value: string | number): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.since) where.push(`ts >= ${param(filter.since)}`);
    if (filter.user) where.push(`"user" = ${param(filter.user)}`);
    if (filter.node) where.push(`node = ${param(filter.node)}`);
    if (filter.type) {
      // `--type session` matches session.start and session.end.
      where.push(`(type = ${param(filter.type)} OR type LIKE ${param(`${filter.type}.%`)})`);
    }
    if (filter.afterSeq !== undefined) where.push(`seq > ${param(filter.afterSeq)}`);
    const limit = filter.limit ? ` LIMIT ${param(Math.floor(filter.limit))}` : '';
    const { rows } = await this.pool.query<{ seq: string; body: string }>(
      `SELECT seq, body FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq${limit}`, params);
    return rows.map((row) => ({ ...(JSON.parse(row.body) as AuditEvent), seq: toNumber(row.seq) }));
  }
}
