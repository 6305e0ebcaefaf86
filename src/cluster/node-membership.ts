/**
 * This node among the nodes sharing the store (SPEC §10). It beats every `cluster.heartbeat`
 * and watches the others: a node whose heartbeat count has not moved for `cluster.deadAfter`,
 * by this node's own clock (so the nodes' clocks need not agree), is declared dead by whichever
 * node gets there first (one atomic step in the store), which then ends that node's live
 * sessions as `node_lost`, each with its `session.end`, and records `node.down`.
 */
import type { Stores } from '../store/store.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Logger } from '../log/logger.js';
import { endLostSessions } from './lost-sessions.js';
import { background } from '../runtime/background.js';

export interface MembershipOptions {
  node: string;
  address: string;
  version: string;
  heartbeatMs: number;
  deadAfterMs: number;
  /** The store says this node is down (it stalled past deadAfter): its sessions were ended there. */
  onDeclaredDead: () => Promise<void>;
  now?: () => number;
}

type Deps = { stores: Pick<Stores, 'nodes' | 'sessions' | 'recordings'>; audit: Pick<AuditLog, 'record' | 'note'>; logger: Logger };

export class NodeMembership {
  /** What this node last saw of each other node: its heartbeat count, and since when (local clock). */
  private readonly seen = new Map<string, { beats: number; since: number }>();
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  private readonly now: () => number;

  constructor(private readonly deps: Deps, private readonly options: MembershipOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Registers the node as up (`node.up`; throws when that cannot be recorded), then beats and watches on a timer. */
  async start(): Promise<void> {
    await this.join();
    // Half the heartbeat, so a dead node is noticed soon after deadAfter, not a beat later.
    this.timer = setInterval(() => {
      if (this.ticking) return;
      this.ticking = true;
      background(this.deps.logger, 'cluster heartbeat', this.tick().finally(() => { this.ticking = false; }));
    }, Math.max(100, Math.floor(this.options.heartbeatMs / 2)));
    this.timer.unref();
  }

  /** A clean stop: `node.down` with reason `shutdown` (after this node's sessions were ended). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const at = new Date(this.now()).toISOString();
    if (await this.deps.stores.nodes.markDown(this.options.node, null, at, 'shutdown')) {
      await this.deps.audit.record({ type: 'node.down', user: null, src: null, name: this.options.node, reason: 'shutdown', last_heartbeat: at, sessions_lost: 0 });
    }
  }

  private lastBeat = 0;

  /** One round, as the timer runs it: the heartbeat when one is due, then a look at the others. */
  async tick(): Promise<void> {
    const now = this.now();
    if (now - this.lastBeat >= this.options.heartbeatMs) {
      this.lastBeat = now;
      if (!(await this.deps.stores.nodes.beat(this.options.node, new Date(now).toISOString()))) {
        this.deps.logger.error('this node was declared dead by another (its heartbeat stalled past cluster.deadAfter); ending its sessions and joining again');
        await this.options.onDeclaredDead();
        await this.join();
      }
    }
    await this.watchOthers(now);
  }

  /** Registers the node as up (`node.up`), a new life when it was down. */
  async join(): Promise<void> {
    const { node, address, version } = this.options;
    const startedAt = new Date(this.now()).toISOString();
    await this.deps.stores.nodes.up({ name: node, address, version, startedAt });
    this.lastBeat = this.now();
    await this.deps.audit.record({ type: 'node.up', user: null, src: null, name: node, address, version });
  }

  private async watchOthers(now: number): Promise<void> {
    const nodes = await this.deps.stores.nodes.list();
    for (const other of nodes) {
      if (other.name === this.options.node || other.downAt !== null) {
        this.seen.delete(other.name);
        continue;
      }
      const seen = this.seen.get(other.name);
      if (!seen || seen.beats !== other.beats) {
        this.seen.set(other.name, { beats: other.beats, since: now });
        continue;
      }
      if (now - seen.since < this.options.deadAfterMs) continue;
      this.seen.delete(other.name);
      await this.declareDead(other.name, other.beats, other.heartbeatAt, now);
    }
    // Forget nodes no longer in the store, so the map holds only the store's nodes.
    const names = new Set(nodes.map((n) => n.name));
    for (const name of this.seen.keys()) if (!names.has(name)) this.seen.delete(name);
  }

  private async declareDead(name: string, beats: number, lastHeartbeat: string, now: number): Promise<void> {
    const at = new Date(now).toISOString();
    if (!(await this.deps.stores.nodes.markDown(name, beats, at, 'lost'))) return;
    const lost = await endLostSessions(this.deps, name, { reason: 'node_lost', error: `node ${name} stopped answering (last heartbeat ${lastHeartbeat})`, now });
    this.deps.logger.warn('a node stopped answering: its sessions were ended as node_lost', { node: name, lastHeartbeat, sessions: lost.length });
    this.deps.audit.note({ type: 'node.down', user: null, src: null, name, reason: 'lost', last_heartbeat: lastHeartbeat, sessions_lost: lost.length });
  }
}
