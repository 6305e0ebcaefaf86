/**
 * `ssh.workers: N`: N processes of this node share its SSH listener (node:cluster; the primary
 * accepts and hands each connection to the next worker in turn), so one host uses all its
 * cores. State is shared through the store, as between nodes. The primary keeps the node's
 * heartbeat and feeds the audit sinks; workers serve SSH; the first also serves HTTP.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../../log/logger.js';
import { background } from '../../runtime/background.js';

/** A worker's number (1..N) in its environment. */
export const WORKER_ENV = 'JUMPGATE_WORKER';
/** What the primary tells its workers. */
export type WorkerMessage = { type: 'node-lost' };
/** What a worker tells its primary: a session of its went live or ended. */
export type PrimaryMessage = { type: 'session'; id: string; live: boolean };

/** Sessions one worker may report live at once (as many as one process may hold). */
const MAX_TRACKED_SESSIONS = 1_000_000;

/** How long workers get to end their sessions cleanly before the primary stops waiting. */
const STOP_GRACE_MS = 10_000;

export interface WorkerPool {
  /** Resolves once every worker reported that it is listening. */
  ready: Promise<void>;
  tell(message: WorkerMessage): void;
  stop(): Promise<void>;
}

/**
 * `onWorkerLost` gets the sessions a worker that died was holding: it can no longer record
 * their ends, so the primary does.
 */
export function startWorkers(count: number, logger: Logger, onWorkerLost: (sessions: string[]) => Promise<void>): WorkerPool {
  const workers = new Map<number, Worker>();
  const liveSessions = new Map<number, Set<string>>();
  let stopping = false;
  const listening = new Set<number>();
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => { markReady = resolve; });

  const fork = (index: number) => {
    const worker = cluster.fork({ [WORKER_ENV]: String(index) });
    workers.set(index, worker);
    const sessions = new Set<string>();
    liveSessions.set(index, sessions);
    worker.on('message', (message: PrimaryMessage) => {
      if (message?.type !== 'session' || typeof message.id !== 'string') return;
      if (!message.live) sessions.delete(message.id);
      else if (sessions.size < MAX_TRACKED_SESSIONS) sessions.add(message.id);
    });
    worker.on('listening', () => {
      listening.add(index);
      if (listening.size === count) markReady();
    });
    worker.on('exit', (code, signal) => {
      workers.delete(index);
      if (stopping) return;
      // A worker that died took its connections with it; the others go on, and a new one takes its place.
      logger.error('gateway worker exited; starting another', { worker: index, code, signal, sessions: sessions.size });
      background(logger, 'recording the ends of a lost worker\'s sessions', onWorkerLost([...sessions]));
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
