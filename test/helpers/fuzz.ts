/**
 * Bounded fuzz runs with fast-check (property-based, shrinking to a minimal input).
 * `npm test` gives each property a few seconds; `npm run fuzz` sets
 * JUMPGATE_FUZZ_SECONDS for longer runs. A failure prints the seed and the shrunk input,
 * so `fc.assert(…, { seed, path })` replays it.
 */
import fc from 'fast-check';

/** Seconds one fuzz property may run. */
export function fuzzSeconds(): number {
  const fromEnv = Number(process.env.JUMPGATE_FUZZ_SECONDS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 2;
}

/** Runs `property` for about `fuzzSeconds()` seconds (at least 100 runs). */
export function fuzz<T>(property: fc.IAsyncPropertyWithHooks<T> | fc.IPropertyWithHooks<T>): Promise<void> | void {
  const seconds = fuzzSeconds();
  return fc.assert(property as fc.IProperty<T>, { numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: seconds * 1000, markInterruptAsFailure: false });
}

/** The node:test timeout for a fuzz test: its budget plus room for shrinking. */
export function fuzzTimeoutMs(): number {
  return fuzzSeconds() * 1000 * 3 + 30_000;
}
