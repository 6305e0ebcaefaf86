/**
 * Ends grants and lapsed requests as their time comes. Every gateway process sweeps; the
 * store hands each ended request to exactly one sweeper, so `request.expire` is written once
 * however many nodes run. Access itself never waits for the sweep: decisions read live
 * grants by their end time (policy/effective-roles.ts), so a grant stops counting on time
 * even when the sweep is late.
 */
import type { Logger } from '../log/logger.js';
import { PeriodicTask } from '../runtime/background.js';
import { expireRequests, type RequestDeps } from './request-service.js';

/** How often each process looks for ended grants: `request.expire` follows an end within this. */
export const EXPIRY_SWEEP_MS = 2000;

export class RequestExpiry {
  private readonly task: PeriodicTask;

  constructor(private readonly deps: RequestDeps & { logger: Pick<Logger, 'error' | 'info'> }) {
    this.task = new PeriodicTask(deps.logger, 'access request expiry', () => this.sweep());
  }

  start(everyMs = EXPIRY_SWEEP_MS): void {
    this.task.start(everyMs);
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  private async sweep(): Promise<void> {
    for (const request of await expireRequests(this.deps)) {
      this.deps.logger.info('access request expired', { request: request.id, user: request.user, role: request.role, until: request.until ?? 'never approved' });
    }
  }
}
