/**
 * Alert rules counted over the whole trail, not one process's share of it: with several
 * nodes or `ssh.workers`, five failed logins spread over two processes are still five. One
 * process of the cluster at a time holds the `alerts` lease and reads every event from the
 * store in chain order (every node's, every worker's, the CLI's) into the AlertEngine.
 *
 * A process that takes the lease over first replays the last window of the trail without
 * raising anything, so counts and quiet periods carry on from the former holder: an alert
 * the former holder raised is in the trail and ends its rule's count there; one it would
 * have raised but did not live to write is raised now.
 */
import type { Stores } from '../store/store.js';
import type { Logger } from '../log/logger.js';
import { PeriodicTask } from '../runtime/background.js';
import type { AlertEngine } from './alerts.js';

const LEASE = 'alerts';
/** How often the holder reads new events (the most an alert waits) and renews the lease. */
const POLL_MS = 1000;
/** A holder that stopped renewing for this long is replaced. */
const LEASE_MS = 15_000;
/** Events read per query; a pass reads at most a few batches so it renews in time. */
const BATCH = 500;
const MAX_BATCHES_PER_PASS = 8;

type Deps = { stores: Pick<Stores, 'audit' | 'leases'>; engine: AlertEngine; logger: Pick<Logger, 'error'>; holder: string };

/** Where the next read starts: after an event, or (nothing read yet) at a time. */
type Position = { afterSeq: number } | { since: string };

export class ClusterAlerts {
  private readonly task: PeriodicTask;
  /** Where the next read starts while holding the lease; null when not holding it. */
  private position: Position | null = null;

  constructor(private readonly deps: Deps) {
    this.task = new PeriodicTask(deps.logger, 'alert rules', () => this.pass());
  }

  start(): void {
    if (this.deps.engine.hasRules()) this.task.start(POLL_MS);
  }

  async stop(): Promise<void> {
    await this.task.stop();
    if (this.position !== null) await this.deps.stores.leases.release(LEASE, this.deps.holder);
    this.position = null;
  }

  /** One poll: renew (or take) the lease, then read what was appended since the last pass. */
  async pass(now = new Date()): Promise<void> {
    if (!(await this.deps.stores.leases.acquire(LEASE, this.deps.holder, now, LEASE_MS))) {
      this.position = null;
      return;
    }
    if (this.position === null) await this.takeOver(now);
    for (let i = 0; i < MAX_BATCHES_PER_PASS; i++) {
      if (!(await this.readBatch(false))) return;
    }
  }

  /** Reads one batch from the position on into the engine; true when there may be more. */
  private async readBatch(replay: boolean): Promise<boolean> {
    const events = await this.deps.stores.audit.list({ ...this.position!, limit: BATCH });
    for (const event of events) {
      this.position = { afterSeq: event.seq };
      await this.deps.engine.observe(event, { replay });
    }
    return events.length === BATCH;
  }

  /** Replays the longest window's events without raising, then raises what the trail lacks. */
  private async takeOver(now: Date): Promise<void> {
    this.deps.engine.reset();
    this.position = { since: new Date(now.getTime() - this.deps.engine.longestWindowMs()).toISOString() };
    while (await this.readBatch(true)) { /* until the head */ }
    await this.deps.engine.raisePending();
  }
}
