/**
 * A recording's copy in the store, written as the recording is (SPEC §10: a recording made on
 * one node replays from any node, also after that node died mid-session). Chunks go to the
 * store one at a time, in order; what piles up while the store is slow is sent as one chunk.
 * Past MAX_QUEUED bytes waiting, the copy stops (logged once): the session is not held up by
 * the store, and the node's own file still has the whole recording.
 */
import type { RecordingStore } from '../store/store.js';
import type { Logger } from '../log/logger.js';
import { background } from '../runtime/background.js';

export const MAX_QUEUED = 16 * 1024 * 1024;

export class RecordingCopy {
  private seq = 0;
  private queued: string[] = [];
  private queuedBytes = 0;
  private sending: Promise<void> | null = null;
  private broken = false;

  constructor(private readonly store: RecordingStore, private readonly sessionId: string, private readonly logger: Pick<Logger, 'error' | 'warn'>) {}

  /** Text the recording just wrote to its file. */
  readonly write = (text: string): void => {
    if (this.broken) return;
    this.queuedBytes += Buffer.byteLength(text);
    if (this.queuedBytes > MAX_QUEUED) {
      this.stop('the store fell behind');
      return;
    }
    this.queued.push(text);
    if (!this.sending) this.sending = this.drain();
  };

  /** Resolves once everything written so far is in the store (or the copy stopped). */
  async flushed(): Promise<void> {
    while (this.sending) await this.sending;
  }

  private drain(): Promise<void> {
    const work = async () => {
      while (this.queued.length > 0 && !this.broken) {
        const chunk = Buffer.from(this.queued.join(''));
        this.queued = [];
        this.queuedBytes = 0;
        try {
          await this.store.append(this.sessionId, this.seq++, chunk);
        } catch (error) {
          this.stop(`the store refused a chunk: ${(error as Error).message}`);
        }
      }
    };
    const sending = work().finally(() => { this.sending = null; });
    background(this.logger, 'copying a recording to the store', sending);
    return sending;
  }

  private stop(why: string): void {
    this.broken = true;
    this.queued = [];
    this.queuedBytes = 0;
    this.logger.warn('recording no longer copied to the store; the node\'s own file keeps it whole', { session: this.sessionId, why });
  }
}
