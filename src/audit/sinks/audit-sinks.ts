/**
 * The network sinks of `audit.sinks` (SPEC §5), fed by the gateway from the store: every
 * committed event of this node (whichever process of the node wrote it: the gateway, `apply`,
 * `unban`…) is appended, in chain order, to the durable spool of each sink that takes it, and
 * each sink's worker delivers its spool. One process feeds the spools, so their order is the
 * chain's and no lock is needed around them.
 */
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { Settings } from '../../config/settings-schema.js';
import type { AuditStore, StoredAuditEvent } from '../../store/store.js';
import type { Logger } from '../../log/logger.js';
import { dataPath } from '../../config/load-settings.js';
import { parseSize } from '../../config/duration.js';
import { background } from '../../runtime/background.js';
import { Spool } from './spool.js';
import { SinkWorker } from './sink-worker.js';
import { syslogTransport, webhookTransport } from './transports.js';

type SinkSettings = Settings['audit']['sinks'][number];

export interface SinkDepth { sink: string; bytes: number; fill: number }

/** How many events one read of the store takes. */
const FEED_BATCH = 500;
/** How often the store is read for events other processes of this node committed. */
const FEED_POLL_MS = 1000;
/**
 * How long a committed event waits for others before the spools are fed: under load one
 * store read, one offered mark and one delivery then carry many events, where each event
 * used to cost its own (a rename of the mark is dearer than the event's commit).
 */
const FEED_DELAY_MS = 100;

export class AuditSinks {
  private readonly spools: Array<{ sink: SinkSettings; spool: Spool }>;
  private readonly workers: SinkWorker[];
  private readonly warnedFull = new Set<string>();
  private readonly offeredFile: string;
  /** The offered mark, read from its file once, then kept here. */
  private offeredSeq: number | null = null;
  private feeding: Promise<void> | null = null;
  private again = false;
  private poll: NodeJS.Timeout | null = null;
  private pending: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    settings: Settings,
    dataDir: string,
    private readonly feed: { store: Pick<AuditStore, 'list'>; node: string },
    private readonly logger: Logger,
  ) {
    const maxBytes = parseSize(settings.audit.spoolMaxSize) ?? 64 * 1024 * 1024;
    const spoolDir = dataPath(dataDir, 'spool');
    this.offeredFile = path.join(spoolDir, 'offered');
    this.spools = settings.audit.sinks.map((sink) => ({ sink, spool: new Spool(path.join(spoolDir, sink.name), maxBytes) }));
    const resolvePath = (file: string) => dataPath(dataDir, file);
    this.workers = this.spools.map(({ sink, spool }) => {
      const transport = sink.type === 'syslog'
        ? syslogTransport({ transport: sink.transport, address: sink.address, facility: sink.facility, appName: sink.appName, tls: sink.tls }, resolvePath)
        : webhookTransport({ url: sink.url, secretFile: sink.secretFile }, resolvePath);
      return new SinkWorker(sink.name, spool, transport, logger);
    });
  }

  /** Starts feeding the spools from the store and delivering them. */
  start(): void {
    if (this.spools.length === 0) return;
    for (const worker of this.workers) worker.start();
    this.poll = setInterval(() => this.wake(), FEED_POLL_MS);
    this.poll.unref();
    this.wake();
  }

  /** An event was committed: feed it soon (FEED_DELAY_MS), without waiting for the next poll. */
  soon(): void {
    if (this.spools.length === 0 || this.stopped || this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = null;
      this.wake();
    }, FEED_DELAY_MS);
    this.pending.unref();
  }

  /** Feeds the spools now (or once the feed under way is done). */
  wake(): void {
    if (this.spools.length === 0 || this.stopped) return;
    if (this.feeding) {
      this.again = true;
      return;
    }
    this.feeding = this.feedAll().finally(() => {
      this.feeding = null;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
    background(this.logger, 'feeding the audit sinks', this.feeding);
  }

  depths(): SinkDepth[] {
    return this.spools.map(({ sink, spool }) => ({ sink: sink.name, bytes: spool.depthBytes(), fill: spool.fill() }));
  }

  async stop(): Promise<void> {
    if (this.poll) clearInterval(this.poll);
    if (this.pending) clearTimeout(this.pending);
    // Events committed from now on (the node's last ones) are fed at the next start: the
    // store keeps them and the offered mark says where feeding stopped.
    this.stopped = true;
    while (this.feeding) await this.feeding.catch(() => {});
    for (const worker of this.workers) worker.stop();
    for (const { spool } of this.spools) spool.close();
  }

  private async feedAll(): Promise<void> {
    for (;;) {
      const events = await this.feed.store.list({ node: this.feed.node, afterSeq: this.offered(), limit: FEED_BATCH });
      if (events.length === 0) return;
      for (const event of events) this.offer(event);
      await this.markOffered(events[events.length - 1].seq);
      for (const worker of this.workers) worker.notify();
      if (events.length < FEED_BATCH) return;
    }
  }

  private offer(stored: StoredAuditEvent): void {
    const { seq: _seq, ...event } = stored;
    for (const { sink, spool } of this.spools) {
      const wanted = sink.events || (event.type === 'alert' && event.notify.includes(sink.name));
      if (!wanted) continue;
      if (!spool.append(JSON.stringify(event))) {
        if (!this.warnedFull.has(sink.name)) this.logger.warn('audit sink spool is full; new events for it are kept only in the audit log and the store', { sink: sink.name });
        this.warnedFull.add(sink.name);
      } else if (spool.fill() > 0.8 && !this.warnedFull.has(sink.name)) {
        this.logger.warn('audit sink spool is over 80% full', { sink: sink.name });
        this.warnedFull.add(sink.name);
      } else if (spool.fill() < 0.5) {
        this.warnedFull.delete(sink.name);
      }
    }
  }

  /** The last store position handed to the spools (0: none yet, so every event of this node). */
  private offered(): number {
    if (this.offeredSeq === null) {
      const value = existsSync(this.offeredFile) ? Number(readFileSync(this.offeredFile, 'utf8')) : 0;
      this.offeredSeq = Number.isSafeInteger(value) && value >= 0 ? value : 0;
    }
    return this.offeredSeq;
  }

  /** Off the event loop, as Spool.ack. */
  private async markOffered(seq: number): Promise<void> {
    const temporary = `${this.offeredFile}.new`;
    await writeFile(temporary, String(seq), { mode: 0o600 });
    await rename(temporary, this.offeredFile);
    this.offeredSeq = seq;
  }
}
