/**
 * Sessions whose process is gone (a node declared dead, a worker that died, an earlier run
 * that ended without closing them) cannot record their own ends: whoever notices ends them
 * in the store in one statement and writes each one's `session.end`. The byte counts died
 * with the process, so what the store holds is all that is known; what the process had
 * recorded is in the store and replays from any node.
 */
import type { Stores } from '../store/store.js';
import type { AuditLog } from '../audit/audit-log.js';
import { recordingName, type SessionRecord } from '../domain/session.js';

type Deps = { stores: Pick<Stores, 'sessions' | 'recordings'>; audit: Pick<AuditLog, 'note'> };

export interface Loss {
  reason: 'error' | 'node_lost';
  /** Why, in the `session.end`'s `error`. */
  error: string;
  /** Only the sessions this worker process of the node held. */
  workerPid?: number;
  now?: number;
}

/** Ends the live sessions `node` (or one worker of it) held; returns them. */
export async function endLostSessions(deps: Deps, node: string, loss: Loss): Promise<SessionRecord[]> {
  const now = loss.now ?? Date.now();
  const lost = await deps.stores.sessions.endOrphans(node, { endedAt: new Date(now).toISOString(), reason: loss.reason, bytesUp: 0, bytesDown: 0 }, loss.workerPid);
  const recorded = await deps.stores.recordings.recorded(lost.map((session) => session.id));
  for (const session of lost) {
    deps.audit.note({
      type: 'session.end', user: session.user, src: session.src, session: session.id, kind: session.kind, target: session.target,
      login: session.login, destination: session.destination, duration_ms: Math.max(0, now - Date.parse(session.startedAt)),
      bytes_up: session.bytesUp, bytes_down: session.bytesDown, exit_status: null, recording: recorded.has(session.id) ? recordingName(session.id) : null,
      reason: loss.reason, error: loss.error,
    });
  }
  return lost;
}
