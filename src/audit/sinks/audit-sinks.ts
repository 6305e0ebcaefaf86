/**
 * The network sinks of `audit.sinks` (SPEC §5): each with its own durable spool and worker.
 * Every process that audits offers events to the spools; only `serve` delivers them.
 */
import path from 'node:path';
import type { Settings } from '../../config/settings-schema.js';
import type { AuditEvent } from '../events.js';
import type { Logger } from '../../log/logger.js';
import { dataPath } from '../../config/load-settings.js';
import { parseSize } from '../../config/duration.js';
import { Spool } from './spool.js';
import { SinkWorker } from './sink-worker.js';
import { syslogTransport, webhookTransport } from './transports.js';

type SinkSettings = Settings['audit']['sinks'][number];

export interface SinkDepth { sink: string; bytes: number; fill: number }

export class AuditSinks {
  private readonly spools: Array<{ sink: SinkSettings; spool: Spool }>;
  private workers: SinkWorker[] = [];
  private readonly warnedFull = new Set<string>();

  constructor(settings: Settings, private readonly dataDir: string, private readonly logger: Logger) {
    const maxBytes = parseSize(settings.audit.spoolMaxSize) ?? 64 * 1024 * 1024;
    this.spools = settings.audit.sinks.map((sink) => ({ sink, spool: new Spool(path.join(dataPath(dataDir, 'spool'), sink.name), maxBytes) }));
  }

  /** Called inside the audit write lock, so spools keep chain order across processes. */
  offer(event: AuditEvent): void {
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
    for (const worker of this.workers) worker.notify();
  }

  /** Starts delivering every spool (the gateway process only). */
  startDelivery(compact: (work: () => void) => Promise<void>): void {
    const resolvePath = (file: string) => dataPath(this.dataDir, file);
    this.workers = this.spools.map(({ sink, spool }) => {
      const transport = sink.type === 'syslog'
        ? syslogTransport({ transport: sink.transport, address: sink.address, facility: sink.facility, appName: sink.appName, tls: sink.tls }, resolvePath)
        : webhookTransport({ url: sink.url, secretFile: sink.secretFile }, resolvePath);
      return new SinkWorker(sink.name, spool, transport, this.logger, compact);
    });
    for (const worker of this.workers) worker.start();
  }

  depths(): SinkDepth[] {
    return this.spools.map(({ sink, spool }) => ({ sink: sink.name, bytes: spool.depthBytes(), fill: spool.fill() }));
  }

  stop(): void {
    for (const worker of this.workers) worker.stop();
  }
}
