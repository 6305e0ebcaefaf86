/**
 * `ssh.workers: N`: N processes of this node share its SSH listener (node:cluster; the primary
 * accepts and hands each connection to the next worker in turn), so one host uses all its
 * cores. State is shared through the store, as between nodes. The primary keeps the node's
 * heartbeat and feeds the audit sinks; workers serve SSH; the first also serves HTTP.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../../log/logger.js';

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

export function startWorkers(count: number, logger: Logger): WorkerPool {
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
