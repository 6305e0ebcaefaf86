import { after, before } from 'node:test';
import { cleanupAll } from './cleanup.js';

/**
 * For a describe() block: `start` runs in before(); after() stops what it
 * returned and then, whatever happened, kills every child and removes every
 * temp dir of the test file (cleanupAll). The returned object is filled in by
 * before(), so tests use it like a variable that before() assigned.
 */
export function suiteFixture<T extends { stop(): Promise<void> }>(start: () => Promise<T>): T {
  const fixture = {} as T;
  let started = false;
  before(async () => {
    Object.assign(fixture, await start());
    started = true;
  });
  after(async () => {
    try {
      if (started) await fixture.stop();
    } finally {
      await cleanupAll();
    }
  });
  return fixture;
}
