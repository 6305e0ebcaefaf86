/**
 * `ssh.workers: N`: N processes of this node share its SSH listener (node:cluster), so one host
 * uses all its cores. State is shared through the store, as between nodes. The primary keeps the node's
 * heartbeat and feeds the audit sinks; workers serve SSH; the first also serves HTTP. Each
 * session is registered in the store with the worker holding it, so workers send their
 * primary nothing per session.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../../log/logger.js';
import { background } from '../../runtime/background.js';

// Each worker accepts from the shared listening socket itself; a connection never passes
// through the primary. Handing each one over (node:cluster's default on Linux) cost the
// primary and the worker an IPC round per connection, about a tenth of a handshake's CPU, and
// made every accept wait on the primary. A busy worker accepts less, so load evens out; at
// low load the kernel may give one worker more of the connections.
cluster.schedulingPolicy = cluster.SCHED_NONE;

/** A worker's number (1..N) in its environment. */
export const WORKER_ENV = 'JUMPGATE_WORKER';
/** What the primary tells its workers. */
export type WorkerMessage = { type: 'node-lost' };

/** How long workers get to end their sessions cleanly before the primary stops waiting. */
const STOP_GRACE_MS = 10_000;

export interface WorkerPool {
  /** Resolves once every worker reported that it is listening. */
  ready: Promise<void>;
  tell(message: WorkerMessage): void;
  stop(): Promise<void>;
}

/**
 * `onWorkerLost` gets the process id of a worker that died: it can no longer record the ends
 * of its sessions, so the primary does; it resolves to how many there were.
 */
export function startWorkers(count: number, logger: Logger, onWorkerLost: (workerPid: number) => Promise<number>): WorkerPool {
  const workers = new Map<number, Worker>();
  let stopping = false;
  const listening = new Set<number>();
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => { markReady = resolve; });

  const fork = (index: number) => {
    const worker = cluster.fork({ [WORKER_ENV]: String(index) });
    workers.set(index, worker);
    worker.on('listening', () => {
      listening.add(index);
      if (listening.size === count) markReady();
    });
    worker.on('exit', (code, signal) => {
      workers.delete(index);
      if (stopping) return;
      // A worker that died took its connections with it; the others go on, and a new one takes its place.
      logger.error('gateway worker exited; starting another', { worker: index, code, signal });
      const pid = worker.process.pid;
      if (pid !== undefined) {
        background(logger, 'recording the ends of a lost worker\'s sessions', onWorkerLost(pid).then((sessions) => {
          if (sessions > 0) logger.warn('sessions of the lost worker were ended', { worker: index, sessions });
        }));
      }
      setTimeout(() => { if (!stopping) fork(index); }, 500).unref();
    });
  };
  for (let index = 1; index <= count; index++) fork(index);

  return {
    ready,
    tell(message) {
      for (const worker of workers.values()) worker.send(message);
    },
    async stop() {
      stopping = true;
      const exits = [...workers.values()].map((worker) => new Promise<void>((resolve) => {
        if (worker.isDead()) return resolve();
        worker.once('exit', () => resolve());
        worker.process.kill('SIGTERM');
      }));
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref());
      await Promise.race([Promise.all(exits), deadline]);
      for (const worker of workers.values()) if (!worker.isDead()) worker.process.kill('SIGKILL');
    },
  };
}
