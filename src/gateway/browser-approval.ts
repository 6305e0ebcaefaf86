/**
 * The browser-approved SSH login (SPEC §12): a person with no usable key is shown, over
 * keyboard-interactive, a one-time URL and code; once they approve it in a console signed
 * in as that same person, pressing Enter logs them in. The code is bound to this one
 * connection (made for it, claimed by it alone), single use, and valid 2 minutes or
 * `ssh.loginGraceTime`, whichever is shorter. Stored, so any node's console can approve it.
 */
import type { GatewayDeps } from './gateway-deps.js';
import { ms } from '../config/load-settings.js';
import { APPROVAL_TTL_MS, approvalUrl, hashApprovalCode, newApprovalCode } from '../identity/approval-codes.js';
import type { ApprovalRefusal } from '../store/store.js';

export interface ConnectionApproval { code: string; codeHash: string; url: string; user: string }

/** Offered when the console serves approvals: keyboard-interactive otherwise asks for a password only. */
export function browserApprovalOffered(settings: GatewayDeps['settings']): boolean {
  return settings.http.listen !== '';
}

/** A new code for this connection's login as `user`, stored before it is shown. */
export async function createConnectionApproval(deps: Pick<GatewayDeps, 'settings' | 'stores'>, user: string, src: string): Promise<ConnectionApproval> {
  const code = newApprovalCode();
  const now = Date.now();
  const ttl = Math.min(APPROVAL_TTL_MS, ms(deps.settings.ssh.loginGraceTime));
  const codeHash = hashApprovalCode(code);
  await deps.stores.approvals.add({
    codeHash, kind: 'ssh-login', user, subject: `SSH login as ${user} from ${src}`, pollHash: null,
    createdAt: new Date(now).toISOString(), expiresAt: new Date(now + ttl).toISOString(), approvedBy: null, approvedAt: null, claimedAt: null,
  }, new Date(now));
  return { code, codeHash, url: approvalUrl(deps.settings, code), user };
}

/** What the person reads over keyboard-interactive (the prompt too: OpenSSH hides the instruction below LogLevel INFO). */
export function approvalPrompt(approval: ConnectionApproval, refusal: string | null): { instruction: string; prompt: string } {
  return {
    instruction: `To log in without a key, open ${approval.url} in a browser signed in to jumpgate as ${approval.user}, check that it shows the code ${approval.code} and approve it.`,
    prompt: `${refusal ? `${refusal} ` : ''}Approve ${approval.code} at ${approval.url}, then press Enter (or type your password): `,
  };
}

/** Why an unapproved attempt was refused: for the audit trail, and for the person's next prompt. */
export function approvalRefusalText(reason: ApprovalRefusal): { audit: string; told: string } {
  switch (reason) {
    case 'pending': return { audit: 'browser approval not given', told: 'Not approved yet.' };
    case 'expired': return { audit: 'browser approval code expired', told: 'That code expired; reconnect for a new one.' };
    case 'used': return { audit: 'browser approval code already used', told: 'That code was used already; reconnect.' };
    default: return { audit: `browser approval code ${reason}`, told: 'That code is unknown; reconnect.' };
  }
}
