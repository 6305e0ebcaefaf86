/**
 * Ends grants and lapsed requests as their time comes. Every gateway process sweeps; the
 * store hands each ended request to exactly one sweeper, so `request.expire` is written once
 * however many nodes run. Access itself never waits for the sweep: decisions read live
 * grants by their end time (policy/effective-roles.ts), so a grant stops counting on time
 * even when the sweep is late.
 */
import type { Logger } from '../log/logger.js';
import { background } from '../runtime/background.js';
import { expireRequests, type RequestDeps } from './request-service.js';

/** How often each process looks for ended grants: `request.expire` follows an end within this. */
export const EXPIRY_SWEEP_MS = 2000;

export class RequestExpiry {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly deps: RequestDeps & { logger: Pick<Logger, 'error' | 'info'> }) {}

  start(everyMs = EXPIRY_SWEEP_MS): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep().finally(() => { this.running = null; });
      background(this.deps.logger, 'access request expiry', this.running);
    }, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  private async sweep(): Promise<void> {
    for (const request of await expireRequests(this.deps)) {
      this.deps.logger.info('access request expired', { request: request.id, user: request.user, role: request.role, until: request.until ?? 'never approved' });
    }
  }
}
