import { randomBytes } from 'node:crypto';
import type { GatewayDeps } from './gateway-deps.js';
import type { EndReason, SessionRecord } from '../domain/session.js';
import type { SessionScreen } from './session-screen.js';
import type { AuditDraft, AuditEvent } from '../audit/events.js';

/** What a channel handler knows when its session starts. */
export type SessionStartInfo = Pick<SessionRecord, 'kind' | 'user' | 'src' | 'target' | 'login' | 'destination'> & {
  via?: string | null;
  /** The rule that granted it (`role dba, rule 1`), for the audit trail. */
  rule?: string;
};

export interface SessionOutcome {
  reason: EndReason;
  bytesUp: number;
  bytesDown: number;
  exitStatus?: number | null;
  /** The recording's file name in the recordings dir, when the session was recorded. */
  recording?: string | null;
  error?: string;
}

/** A registered session: `finish` records its end, exactly once; `show` lets others watch or join it. */
export interface RegisteredSession { id: string; finish(outcome: SessionOutcome): void; show(screen: SessionScreen): void }

/** Registered, or refused because the user has `sessions.maxSessionsPerUser` sessions open. */
export type SessionAdmission =
  | { admitted: true; session: RegisteredSession }
  | { admitted: false; reason: string; message: string };

/** A session in this process; `stop` asks the channel to end, `finish` records that it did. */
export interface LiveSession {
  readonly record: SessionRecord;
  stop(reason: EndReason): void;
  finish(outcome: SessionOutcome): void;
  /** The terminal others may watch or join (proxied shells only). */
  screen: SessionScreen | null;
}

/** How long a stopping session may take to wind down before its end is recorded anyway. */
const STOP_GRACE_MS = 3000;

/**
 * The sessions this gateway process relays. Each is written to the store when it starts
 * and ends (so `jumpgate sessions` in another process sees it) and audited both times.
 */
export class LiveSessions {
  private readonly live = new Map<string, LiveSession>();
  private readonly pending = new Set<Promise<unknown>>();
  /** Another node ended this node's sessions in the store (node_lost): their ends are recorded already. */
  private endedElsewhere = false;

  constructor(private readonly deps: Pick<GatewayDeps, 'stores' | 'audit' | 'logger' | 'node' | 'settings' | 'workerPid'>) {}

  /**
   * Registers a session before its channel is relayed, if its user is below
   * `sessions.maxSessionsPerUser` (every kind counts: jump, forward, session, sftp). The
   * store checks and registers in one atomic step, so concurrent opens cannot all pass.
   */
  async start(info: SessionStartInfo, stop: (reason: EndReason) => void): Promise<SessionAdmission> {
    const id = randomBytes(8).toString('hex');
    const startedAt = new Date();
    const record: SessionRecord = {
      id, node: this.deps.node, kind: info.kind, user: info.user, src: info.src, target: info.target, login: info.login,
      destination: info.destination, via: info.via ?? null, startedAt: startedAt.toISOString(), endedAt: null, reason: null, bytesUp: 0, bytesDown: 0,
    };
    const maxLivePerUser = this.deps.settings.sessions.maxSessionsPerUser;
    const draft: AuditDraft = {
      type: 'session.start', user: info.user, src: info.src, session: id, kind: info.kind, target: info.target,
      login: info.login, destination: info.destination, rule: info.rule,
    };
    let started: AuditEvent | null;
    try {
      started = await this.deps.audit.recordWithRow(draft.type,
        (seal) => this.deps.stores.sessions.start(record, { maxLivePerUser }, { draft, seal }, this.deps.workerPid));
    } catch (error) {
      // The row and its session.start commit together or not at all: a session the trail
      // does not hold must not run (audit fails closed).
      this.deps.logger.error('refusing a session: its session.start cannot be audited', { user: info.user, src: info.src, error });
      return { admitted: false, reason: 'the audit trail cannot be written', message: 'jumpgate: the gateway cannot write its audit trail; try again later' };
    }
    if (!started) {
      return {
        admitted: false,
        reason: `too many sessions (sessions.maxSessionsPerUser ${maxLivePerUser})`,
        message: `jumpgate: ${info.user} has ${maxLivePerUser} sessions open, the most allowed (sessions.maxSessionsPerUser)`,
      };
    }
    const entry: LiveSession = { record, stop, finish: (outcome: SessionOutcome) => finish(outcome), screen: null };
    this.live.set(id, entry);
    let finished = false;
    const finish = (outcome: SessionOutcome) => {
      if (finished) return;
      finished = true;
      this.live.delete(id);
      if (this.endedElsewhere) return;
      const endedAt = new Date();
      const end = { endedAt: endedAt.toISOString(), reason: outcome.reason, bytesUp: outcome.bytesUp, bytesDown: outcome.bytesDown };
      const ended: AuditDraft = {
        type: 'session.end', user: info.user, src: info.src, session: id, kind: info.kind, target: info.target,
        login: info.login, destination: info.destination, duration_ms: endedAt.getTime() - startedAt.getTime(),
        bytes_up: outcome.bytesUp, bytes_down: outcome.bytesDown, exit_status: outcome.exitStatus ?? null,
        recording: outcome.recording ?? null, reason: outcome.reason, error: outcome.error,
      };
      this.track(this.deps.audit.recordWithRow(ended.type, (seal) => this.deps.stores.sessions.end(id, end, { draft: ended, seal })));
    };
    return { admitted: true, session: { id, finish, show: (screen) => { entry.screen = screen; } } };
  }

  get(id: string): LiveSession | undefined {
    return this.live.get(id);
  }

  all(): LiveSession[] {
    return [...this.live.values()];
  }

  /** Ends every live session with `reason` and waits until their ends are recorded. */
  async stopAll(reason: EndReason): Promise<void> {
    for (const session of this.all()) session.stop(reason);
    const deadline = Date.now() + STOP_GRACE_MS;
    while (this.live.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    // A session whose peer does not answer is recorded as ended all the same.
    for (const session of this.all()) session.finish({ reason, bytesUp: 0, bytesDown: 0 });
    await this.settled();
  }

  /**
   * This node was declared dead (its heartbeat stalled past cluster.deadAfter) and another
   * node ended its sessions as `node_lost`, each with its `session.end`: they stop here too,
   * without a second end in the trail.
   */
  async endedByAnotherNode(): Promise<void> {
    this.endedElsewhere = true;
    try {
      await this.stopAll('node_lost');
    } finally {
      this.endedElsewhere = false;
    }
  }

  /** Waits for the store and audit writes under way. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Keeps a write in `pending` until it settles; a failure is logged, never thrown. */
  private track(promise: Promise<unknown>): void {
    const tracked: Promise<void> = promise
      .then(() => {}, (error: unknown) => this.deps.logger.error('session record failed', { error }))
      .then(() => { this.pending.delete(tracked); });
    this.pending.add(tracked);
  }
}
