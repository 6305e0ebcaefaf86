/**
 * New connections are refused before the banner while descriptors run short, so that
 * what is already running is never starved of them: established sessions still dial their
 * targets, the audit log and the store still write (an event lost to EMFILE is an action
 * without its record). The reserve is a tenth of the open-files limit, at least 32.
 */
import type { Logger } from '../log/logger.js';
import { openDescriptorCount } from '../runtime/open-files.js';

/** A count older than this is read again; in between, each new connection adds one. */
const RECOUNT_AFTER_MS = 250;

export class DescriptorReserve {
  readonly reserve: number;
  private counted = 0;
  private countedAt = -Infinity;
  private short = false;

  constructor(
    private readonly limit: number,
    private readonly logger: Pick<Logger, 'warn' | 'info'>,
    private readonly count: () => number | null = openDescriptorCount,
    private readonly now: () => number = Date.now,
  ) {
    this.reserve = Math.max(32, Math.ceil(limit / 10));
  }

  /** Called once per new connection (its socket already open): true when it must be refused. */
  exhausted(): boolean {
    const threshold = this.limit - this.reserve;
    // Reading /proc/self/fd costs a directory listing: do it when the last count is old or
    // when the estimate comes near the threshold, where it matters.
    if (this.now() - this.countedAt > RECOUNT_AFTER_MS || this.counted + 1 >= threshold - this.reserve) {
      const counted = this.count();
      if (counted === null) return false;
      this.counted = counted;
      this.countedAt = this.now();
    } else {
      this.counted += 1;
    }
    const short = this.counted >= threshold;
    if (short && !this.short) {
      this.logger.warn(`open files running short (${this.counted} of ${this.limit} in use): new connections are refused while fewer than ${this.reserve} are free`);
    } else if (!short && this.short) {
      this.logger.info(`open files available again (${this.counted} of ${this.limit} in use): new connections are accepted`);
    }
    this.short = short;
    return short;
  }
}
