import type Database from 'better-sqlite3';
import type { RdpTokenClaim, RdpTokenRecord, RdpTokenStore } from '../store.js';

interface Row { id_hash: string; user: string; target: string; expires_at: string; created_at: string; used_at: string | null }
const toRecord = (row: Row): RdpTokenRecord => ({ idHash: row.id_hash, user: row.user, target: row.target, expiresAt: row.expires_at, createdAt: row.created_at });

export class SqliteRdpTokenStore implements RdpTokenStore {
  private readonly insert: Database.Statement;
  private readonly prune: Database.Statement<[string]>;
  private readonly claimOne: Database.Statement<[string, string, string], Row>;
  private readonly select: Database.Statement<[string], Row>;

  constructor(db: Database.Database) {
    this.insert = db.prepare('INSERT INTO rdp_tokens (id_hash, user, target, expires_at, created_at) VALUES (@idHash, @user, @target, @expiresAt, @createdAt)');
    this.prune = db.prepare('DELETE FROM rdp_tokens WHERE expires_at < ?');
    this.claimOne = db.prepare('UPDATE rdp_tokens SET used_at = ? WHERE id_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING *');
    this.select = db.prepare('SELECT * FROM rdp_tokens WHERE id_hash = ?');
  }

  async add(token: RdpTokenRecord, now: Date): Promise<void> {
    this.prune.run(now.toISOString());
    this.insert.run(token);
  }

  async claim(idHash: string, now: Date): Promise<RdpTokenClaim> {
    const at = now.toISOString();
    const row = this.claimOne.get(at, idHash, at);
    if (row) return { claimed: true, token: toRecord(row) };
    const known = this.select.get(idHash);
    return { claimed: false, reason: !known ? 'unknown' : known.used_at !== null ? 'used' : 'expired' };
  }
}
