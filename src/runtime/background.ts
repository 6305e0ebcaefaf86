/**
 * The one way to start work nobody awaits (an audit write after a reply went out, a poll,
 * a best-effort cleanup): a failure is logged with what was being done, never left to end
 * the process as an unhandled rejection. The linter forbids floating promises elsewhere.
 */
import type { Logger } from '../log/logger.js';

export function background(logger: Pick<Logger, 'error'>, what: string, work: Promise<unknown> | (() => Promise<unknown>)): void {
  const promise = typeof work === 'function' ? Promise.resolve().then(work) : work;
  promise.then(undefined, (error: unknown) => logger.error(`${what} failed`, { error }));
}

/**
 * Work repeated every `everyMs` that never overlaps itself: a tick that finds the previous
 * pass still running is skipped. `stop` waits for the pass in flight, so a caller that
 * closes the store after it closes nothing under a running pass.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly logger: Pick<Logger, 'error'>, private readonly what: string, private readonly pass: () => Promise<void>) {}

  start(everyMs: number): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.pass().finally(() => { this.running = null; });
      background(this.logger, this.what, this.running);
    }, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }
}
