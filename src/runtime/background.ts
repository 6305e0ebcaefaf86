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
