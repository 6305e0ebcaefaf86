/**
 * The one info line each connection leaves in the gateway's log (SPEC §4: address, user,
 * outcome), as sshd's `Accepted publickey for …` and `Connection closed by … [preauth]`:
 * enough to see who came, from where, and how it ended, without reading the audit trail.
 * Every value may come from a stranger; the logger escapes and bounds it.
 */
import type { Logger } from '../log/logger.js';

export type ConnectionOutcome =
  | 'authenticated'
  | 'authentication failed'
  | 'closed before authentication'
  | 'closed before the SSH handshake'
  | 'refused before the banner';

export interface ConnectionLine {
  src: string;
  user?: string | null;
  outcome: ConnectionOutcome;
  /** What else explains the outcome: the method, the target, the last failure's reason, a ban. */
  [detail: string]: unknown;
}

export function logConnection(logger: Logger, { src, user, outcome, ...details }: ConnectionLine): void {
  logger.info('connection', { src, user: user ?? undefined, outcome, ...details });
}
