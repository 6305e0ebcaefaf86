/**
 * `rotateEvery` (SPEC §12): a `privateKey` credential is rotated once its key is older than
 * its period (counted from its last rotation, or from when it was stored). Every node checks;
 * the per-credential lease and the "still due?" check made under it let one node rotate it.
 */
import type { StoredCredential } from '../domain/credential.js';
import type { Logger } from '../log/logger.js';
import { parseDuration } from '../config/duration.js';
import { PeriodicTask } from '../runtime/background.js';
import { rotateCredential, type RotationDeps } from './rotate-credential.js';

/** How often each node looks for due credentials. */
export const SCHEDULE_CHECK_MS = 60_000;
/** A rotation that failed is tried again after this long, not at every check (targets are not hammered). */
export const RETRY_AFTER_FAILURE_MS = 60 * 60_000;

/** Whether a credential's key is older than its `rotateEvery` at `now`. */
export function isDue(credential: StoredCredential, now: number): boolean {
  if (credential.type !== 'privateKey' || !credential.rotateEvery) return false;
  const period = parseDuration(credential.rotateEvery);
  const since = Date.parse(credential.rotatedAt ?? credential.updatedAt);
  return period !== null && period > 0 && Number.isFinite(since) && since + period <= now;
}

export class RotationSchedule {
  private readonly task: PeriodicTask;
  /** Credential name -> when a failed rotation may be tried again (at most one entry per credential). */
  private readonly failedUntil = new Map<string, number>();

  constructor(private readonly deps: Omit<RotationDeps, 'actor'> & { logger: Logger; now?: () => number }) {
    this.task = new PeriodicTask(deps.logger, 'scheduled credential rotation', () => this.check());
  }

  start(checkEveryMs = SCHEDULE_CHECK_MS): void {
    this.task.start(checkEveryMs);
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One pass: every due credential rotated (by this node, or found done by another). */
  async check(): Promise<void> {
    const now = () => this.deps.now?.() ?? Date.now();
    const credentials = await this.deps.stores.credentials.list();
    for (const name of [...this.failedUntil.keys()]) if (!credentials.some((c) => c.name === name)) this.failedUntil.delete(name);
    for (const credential of credentials) {
      if (!isDue(credential, now()) || (this.failedUntil.get(credential.name) ?? 0) > now()) continue;
      const result = await rotateCredential({ ...this.deps, actor: null }, credential.name, (current) => isDue(current, now()));
      if (result.ok) {
        this.failedUntil.delete(credential.name);
        this.deps.logger.info('credential rotated on schedule', { credential: credential.name, targets: result.targets.length });
      } else if (!('skipped' in result)) {
        this.failedUntil.set(credential.name, now() + RETRY_AFTER_FAILURE_MS);
        this.deps.logger.warn('scheduled credential rotation failed', { credential: credential.name, target: result.target, why: result.why });
      }
    }
  }
}
