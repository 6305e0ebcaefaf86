import type Database from 'better-sqlite3';
import type { ApprovalOutcome, ApprovalRecord, ApprovalStore, RevokedSerial, RevokedSerialStore } from '../store.js';
import { approvalRefusal, toApproval, toRevokedSerial, type ApprovalRow, type RevokedSerialRow } from '../approval-refusal.js';

export class SqliteApprovalStore implements ApprovalStore {
  private readonly insert: Database.Statement;
  private readonly prune: Database.Statement<[string]>;
  private readonly select: Database.Statement<[string], ApprovalRow>;
  private readonly selectByPoll: Database.Statement<[string], ApprovalRow>;
  private readonly approveOne: Database.Statement<[{ user: string; at: string; codeHash: string }], ApprovalRow>;
  private readonly claimOne: Database.Statement<[string, string, string], ApprovalRow>;

  constructor(db: Database.Database) {
    this.insert = db.prepare(`INSERT INTO approvals (code_hash, kind, user, subject, poll_hash, created_at, expires_at)
      VALUES (@codeHash, @kind, @user, @subject, @pollHash, @createdAt, @expiresAt)`);
    this.prune = db.prepare('DELETE FROM approvals WHERE expires_at < ?');
    this.select = db.prepare('SELECT * FROM approvals WHERE code_hash = ?');
    this.selectByPoll = db.prepare('SELECT * FROM approvals WHERE poll_hash = ?');
    this.approveOne = db.prepare(`UPDATE approvals SET approved_by = @user, approved_at = @at, user = COALESCE(user, @user)
      WHERE code_hash = @codeHash AND approved_at IS NULL AND claimed_at IS NULL AND expires_at > @at AND (user IS NULL OR user = @user) RETURNING *`);
    this.claimOne = db.prepare(`UPDATE approvals SET claimed_at = ?
      WHERE code_hash = ? AND approved_at IS NOT NULL AND claimed_at IS NULL AND expires_at > ? RETURNING *`);
  }

  async add(approval: ApprovalRecord, now: Date): Promise<void> {
    this.prune.run(now.toISOString());
    this.insert.run(approval);
  }

  async get(codeHash: string): Promise<ApprovalRecord | null> {
    const row = this.select.get(codeHash);
    return row ? toApproval(row) : null;
  }

  async approve(codeHash: string, user: string, now: Date): Promise<ApprovalOutcome> {
    const at = now.toISOString();
    const row = this.approveOne.get({ user, at, codeHash });
    if (row) return { ok: true, approval: toApproval(row) };
    return { ok: false, reason: approvalRefusal(await this.get(codeHash), now, 'approve', user) };
  }

  async claim(by: { codeHash: string } | { pollHash: string }, now: Date): Promise<ApprovalOutcome> {
    const found = 'codeHash' in by ? this.select.get(by.codeHash) : this.selectByPoll.get(by.pollHash);
    if (!found) return { ok: false, reason: 'unknown' };
    const at = now.toISOString();
    const row = this.claimOne.get(at, found.code_hash, at);
    if (row) return { ok: true, approval: toApproval(row) };
    return { ok: false, reason: approvalRefusal(await this.get(found.code_hash), now, 'claim') };
  }
}

export class SqliteRevokedSerialStore implements RevokedSerialStore {
  private readonly insert: Database.Statement;
  private readonly select: Database.Statement<[string], RevokedSerialRow>;
  private readonly selectAll: Database.Statement<[], RevokedSerialRow>;

  constructor(db: Database.Database) {
    this.insert = db.prepare(`INSERT INTO revoked_serials (serial, revoked_at, revoked_by, reason)
      VALUES (@serial, @revokedAt, @revokedBy, @reason) ON CONFLICT (serial) DO NOTHING`);
    this.select = db.prepare('SELECT * FROM revoked_serials WHERE serial = ?');
    this.selectAll = db.prepare('SELECT * FROM revoked_serials ORDER BY revoked_at, serial');
  }

  async add(entry: RevokedSerial): Promise<boolean> {
    return this.insert.run(entry).changes > 0;
  }

  async has(serial: string): Promise<boolean> {
    return this.select.get(serial) !== undefined;
  }

  async list(): Promise<RevokedSerial[]> {
    return this.selectAll.all().map(toRevokedSerial);
  }
}
