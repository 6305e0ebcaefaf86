/**
 * Port knocking (off by default): a source address must connect to the configured TCP
 * ports in order, within `knock.window`; the SSH port then opens to that address alone
 * for `knock.openFor`. Knock connections are closed at once and never answered. A
 * sequence begun is forgotten once its window has passed, an opening once it has ended,
 * and at most MAX_TRACKED addresses of each are followed at once (anyone may knock).
 */
import { createServer, type Server } from 'node:net';
import type { Logger } from '../log/logger.js';
import { plainIp } from './address-text.js';
import { BoundedRecentMap } from './bounded-recent-map.js';

export interface KnockSettings { sequence: number[]; windowMs: number; openForMs: number }

/** Addresses in the middle of a sequence, and addresses the port is open to, followed at once. */
export const MAX_TRACKED = 100_000;

export class KnockGate {
  private readonly progress: BoundedRecentMap<{ next: number; startedAt: number }>;
  private readonly openUntil: BoundedRecentMap<number>;
  private readonly servers: Server[] = [];

  constructor(private readonly settings: KnockSettings, private readonly logger: Logger, maxTracked = MAX_TRACKED) {
    this.progress = new BoundedRecentMap(maxTracked, (state, now) => now - state.startedAt > settings.windowMs);
    this.openUntil = new BoundedRecentMap(maxTracked, (until, now) => until < now);
  }

  /** Addresses in the middle of a sequence and addresses the port is open to (for tests). */
  get tracked(): { knocking: number; open: number } {
    return { knocking: this.progress.size, open: this.openUntil.size };
  }

  /** Listens on every knock port of each host the SSH listener uses. */
  async listen(hosts: readonly string[]): Promise<void> {
    for (const host of new Set(hosts)) {
      for (const [index, port] of this.settings.sequence.entries()) {
        const server = createServer((socket) => {
          this.knock(plainIp(socket.remoteAddress), index);
          socket.destroy();
        });
        server.on('error', (error) => this.logger.error('knock listener error', { port, error }));
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host, port }, () => resolve());
        });
        this.servers.push(server);
      }
    }
  }

  /** Records a knock on the `index`-th port of the sequence. */
  knock(ip: string, index: number, now = Date.now()): void {
    const fresh = this.progress.get(ip, now) ?? null;
    if (index === (fresh?.next ?? 0)) {
      const state = { next: index + 1, startedAt: fresh?.startedAt ?? now };
      if (state.next === this.settings.sequence.length) {
        this.progress.delete(ip);
        this.openUntil.set(ip, now + this.settings.openForMs, now);
        this.logger.info('knock sequence completed; SSH open to the address', { address: ip });
      } else {
        this.progress.set(ip, state, now);
      }
    } else {
      // A wrong port restarts the sequence (or begins it anew, if it was the first port).
      if (index === 0) this.progress.set(ip, { next: 1, startedAt: now }, now);
      else this.progress.delete(ip);
    }
  }

  isOpen(ip: string, now = Date.now()): boolean {
    return this.openUntil.get(ip, now) !== undefined;
  }

  close(): void {
    for (const server of this.servers) server.close();
  }
}
