import type pg from 'pg';
import type { ApprovalOutcome, ApprovalRecord, ApprovalStore, RevokedSerial, RevokedSerialStore } from '../store.js';
import { approvalRefusal, toApproval, toRevokedSerial, type ApprovalRow, type RevokedSerialRow } from '../approval-refusal.js';

export class PostgresApprovalStore implements ApprovalStore {
  constructor(private readonly pool: pg.Pool) {}

  async add(approval: ApprovalRecord, now: Date): Promise<void> {
    await this.pool.query('DELETE FROM approvals WHERE expires_at < $1', [now.toISOString()]);
    await this.pool.query(`INSERT INTO approvals (code_hash, kind, "user", subject, poll_hash, created_at, expires_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [approval.codeHash, approval.kind, approval.user, approval.subject, approval.pollHash, approval.createdAt, approval.expiresAt]);
  }

  async get(codeHash: string): Promise<ApprovalRecord | null> {
    const { rows } = await this.pool.query<ApprovalRow>('SELECT * FROM approvals WHERE code_hash = $1', [codeHash]);
    return rows[0] ? toApproval(rows[0]) : null;
  }

  async approve(codeHash: string, user: string, now: Date): Promise<ApprovalOutcome> {
    const at = now.toISOString();
    // One statement: the row lock makes a concurrent approval wait, then find approved_at set.
    const { rows } = await this.pool.query<ApprovalRow>(`UPDATE approvals SET approved_by = $1, approved_at = $2, "user" = COALESCE("user", $1)
      WHERE code_hash = $3 AND approved_at IS NULL AND claimed_at IS NULL AND expires_at > $2 AND ("user" IS NULL OR "user" = $1) RETURNING *`,
    [user, at, codeHash]);
    if (rows[0]) return { ok: true, approval: toApproval(rows[0]) };
    return { ok: false, reason: approvalRefusal(await this.get(codeHash), now, 'approve', user) };
  }

  async claim(by: { codeHash: string } | { pollHash: string }, now: Date): Promise<ApprovalOutcome> {
    const found = 'codeHash' in by
      ? (await this.pool.query<ApprovalRow>('SELECT * FROM approvals WHERE code_hash = $1', [by.codeHash])).rows[0]
      : (await this.pool.query<ApprovalRow>('SELECT * FROM approvals WHERE poll_hash = $1', [by.pollHash])).rows[0];
    if (!found) return { ok: false, reason: 'unknown' };
    const at = now.toISOString();
    const { rows } = await this.pool.query<ApprovalRow>(`UPDATE approvals SET claimed_at = $1
      WHERE code_hash = $2 AND approved_at IS NOT NULL AND claimed_at IS NULL AND expires_at > $1 RETURNING *`, [at, found.code_hash]);
    if (rows[0]) return { ok: true, approval: toApproval(rows[0]) };
    return { ok: false, reason: approvalRefusal(await this.get(found.code_hash), now, 'claim') };
  }
}

export class PostgresRevokedSerialStore implements RevokedSerialStore {
  constructor(private readonly pool: pg.Pool) {}

  async add(entry: RevokedSerial): Promise<boolean> {
    const { rowCount } = await this.pool.query(`INSERT INTO revoked_serials (serial, revoked_at, revoked_by, reason)
      VALUES ($1, $2, $3, $4) ON CONFLICT (serial) DO NOTHING`, [entry.serial, entry.revokedAt, entry.revokedBy, entry.reason]);
    return (rowCount ?? 0) > 0;
  }

  async has(serial: string): Promise<boolean> {
    const { rows } = await this.pool.query('SELECT 1 FROM revoked_serials WHERE serial = $1', [serial]);
    return rows.length > 0;
  }

  async list(): Promise<RevokedSerial[]> {
    const { rows } = await this.pool.query<RevokedSerialRow>('SELECT * FROM revoked_serials ORDER BY revoked_at, serial');
    return rows.map(toRevokedSerial);
  }
}
