import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { RecordingCopy, MAX_QUEUED } from './recording-copy.js';
import type { RecordingStore } from '../store/store.js';

/** A store whose appends wait until the test lets them through. */
function slowStore() {
  const chunks: Array<{ seq: number; data: string }> = [];
  let release: () => void = () => {};
  let gate = new Promise<void>((resolve) => { release = resolve; });
  let fail = false;
  const store: RecordingStore = {
    append: async (_id, seq, data) => {
      await gate;
      if (fail) throw new Error('store down');
      chunks.push({ seq, data: data.toString() });
    },
    read: async () => null,
    recorded: async () => new Set<string>(),
  };
  return {
    store, chunks,
    open: () => { release(); gate = Promise.resolve(); },
    failNext: () => { fail = true; },
  };
}

const warnings: string[] = [];
const logger = { warn: (message: string) => { warnings.push(message); }, error: () => {} };

describe('RecordingCopy', () => {
  test('chunks reach the store in order; what piles up while it is slow goes as one chunk', async () => {
    const s = slowStore();
    const copy = new RecordingCopy(s.store, 's1', logger);
    copy.write('header\n');
    copy.write('a\n');
    copy.write('b\n');
    s.open();
    await copy.flushed();
    assert.deepEqual(s.chunks, [{ seq: 0, data: 'header\n' }, { seq: 1, data: 'a\nb\n' }]);
    copy.write('c\n');
    await copy.flushed();
    assert.deepEqual(s.chunks.at(-1), { seq: 2, data: 'c\n' });
  });

  test('past MAX_QUEUED bytes waiting, the copy stops instead of holding memory', async () => {
    const s = slowStore();
    const copy = new RecordingCopy(s.store, 's2', logger);
    copy.write('header\n');
    const big = 'x'.repeat(1024 * 1024);
    for (let i = 0; i <= MAX_QUEUED / big.length; i++) copy.write(big);
    copy.write('after\n');
    s.open();
    await copy.flushed();
    assert.deepEqual(s.chunks.map((c) => c.seq), [0], 'only what was under way before the limit');
    assert.ok(warnings.some((w) => /no longer copied to the store/.test(w)));
  });

  test('a store that refuses a chunk ends the copy (the node\'s file keeps the recording)', async () => {
    const s = slowStore();
    s.failNext();
    s.open();
    const copy = new RecordingCopy(s.store, 's3', logger);
    copy.write('header\n');
    await copy.flushed();
    copy.write('more\n');
    await copy.flushed();
    assert.deepEqual(s.chunks, []);
  });
});
