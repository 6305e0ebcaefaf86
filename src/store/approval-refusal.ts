/** Why an approval could not be approved or claimed, read from its row after the atomic step refused. */
import type { ApprovalRecord, ApprovalRefusal } from './store.js';

export function approvalRefusal(row: ApprovalRecord | null, now: Date, step: 'approve' | 'claim', user?: string): ApprovalRefusal {
  if (!row) return 'unknown';
  if (row.claimedAt !== null) return 'used';
  if (Date.parse(row.expiresAt) <= now.getTime()) return 'expired';
  if (step === 'approve') {
    if (row.approvedAt !== null) return 'used';
    return row.user !== null && row.user !== user ? 'other-person' : 'unknown';
  }
  return row.approvedAt === null ? 'pending' : 'unknown';
}

export interface ApprovalRow {
  code_hash: string; kind: 'ssh-login' | 'certificate'; user: string | null; subject: string; poll_hash: string | null;
  created_at: string; expires_at: string; approved_by: string | null; approved_at: string | null; claimed_at: string | null;
}

export const toApproval = (row: ApprovalRow): ApprovalRecord => ({
  codeHash: row.code_hash, kind: row.kind, user: row.user, subject: row.subject, pollHash: row.poll_hash,
  createdAt: row.created_at, expiresAt: row.expires_at, approvedBy: row.approved_by, approvedAt: row.approved_at, claimedAt: row.claimed_at,
});

export interface RevokedSerialRow { serial: string; revoked_at: string; revoked_by: string; reason: string }
export const toRevokedSerial = (row: RevokedSerialRow) => ({ serial: row.serial, revokedAt: row.revoked_at, revokedBy: row.revoked_by, reason: row.reason });
