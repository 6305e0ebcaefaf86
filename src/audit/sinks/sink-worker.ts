/**
 * Delivers one sink's spool in order: a batch from the cursor, then the cursor moves past
 * what was handed over. While the receiver is down, events wait in the spool (bounded);
 * retries back off from 1 s to 30 s. A restarted gateway resumes from the cursor.
 */
import type { Spool } from './spool.js';
import type { Transport } from './transports.js';
import type { AuditEvent } from '../events.js';
import type { Logger } from '../../log/logger.js';
import { background } from '../../runtime/background.js';

const BATCH = 100;
const MAX_BACKOFF_MS = 30_000;
/**
 * After a batch smaller than BATCH, the pause before the next: events then go out many per
 * batch under load (one cursor write per batch) rather than one by one.
 */
const GATHER_MS = 100;

export class SinkWorker {
  private stopped = false;
  private wake: (() => void) | null = null;
  private failing = false;

  constructor(
    readonly name: string,
    private readonly spool: Spool,
    private readonly transport: Transport,
    private readonly logger: Logger,
  ) {}

  start(): void {
    background(this.logger, `delivering the audit sink ${this.name}`, this.loop());
  }

  /** An event was appended in this process: deliver without waiting for the next poll. */
  notify(): void {
    this.wake?.();
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
    this.transport.close();
  }

  private async loop(): Promise<void> {
    let backoff = 1000;
    while (!this.stopped) {
      const entries = this.spool.peek(BATCH);
      if (entries.length === 0) {
        try {
          this.spool.compactIfDelivered();
        } catch (error) {
          this.logger.warn('audit sink spool could not be compacted', { sink: this.name, error });
        }
        await this.sleep(1000);
        continue;
      }
      try {
        await this.transport.send(entries.map((entry) => JSON.parse(entry.line) as AuditEvent));
        await this.spool.ack(entries[entries.length - 1].end);
        if (this.failing) this.logger.info('audit sink delivering again', { sink: this.name });
        this.failing = false;
        backoff = 1000;
        if (entries.length < BATCH) await new Promise((resolve) => setTimeout(resolve, GATHER_MS).unref());
      } catch (error) {
        // Stopped while sending (stop closes the transport): no back-off timer may hold the process.
        if (this.stopped) return;
        if (!this.failing) this.logger.warn('audit sink unreachable; events wait in its spool', { sink: this.name, error });
        this.failing = true;
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() { clearTimeout(timer); resolve(); }
      this.wake = done;
    });
  }
}
