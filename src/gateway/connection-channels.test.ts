import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionChannels } from './connection-channels.js';

const noReport = (error: unknown) => { throw error; };

describe('ConnectionChannels', () => {
  test('a connection that opens and closes 10,000 channels holds nothing afterwards', () => {
    const channels = new ConnectionChannels(64, noReport);
    let stopped = 0;
    for (let i = 0; i < 10_000; i++) {
      const slot = channels.take();
      assert.ok(slot, `channel ${i} refused`);
      slot.untilConnectionCloses(() => { stopped += 1; });
      slot.release();
    }
    assert.equal(channels.open, 0);
    assert.equal(channels.listening, 0);
    channels.close();
    assert.equal(stopped, 0, 'a released channel was stopped with its connection');
  });

  test('upstream close listeners removed with their upstream do not pile up either', () => {
    const channels = new ConnectionChannels(64, noReport);
    for (let i = 0; i < 10_000; i++) channels.whenClosed(() => {})();
    assert.equal(channels.listening, 0);
  });

  test('slots beyond the limit are refused until one is released', () => {
    const channels = new ConnectionChannels(3, noReport);
    const slots = [channels.take(), channels.take(), channels.take()];
    assert.ok(slots.every(Boolean));
    assert.equal(channels.take(), null);
    slots[1]!.release();
    slots[1]!.release(); // twice is once
    assert.equal(channels.open, 2);
    assert.ok(channels.take());
    assert.equal(channels.take(), null);
  });

  test('closing the connection stops every open channel once, and refuses new ones', () => {
    const channels = new ConnectionChannels(8, noReport);
    const stops: string[] = [];
    const a = channels.take()!;
    const b = channels.take()!;
    a.untilConnectionCloses(() => stops.push('a'));
    b.untilConnectionCloses(() => stops.push('b'));
    channels.whenClosed(() => stops.push('upstream'));
    channels.close();
    channels.close();
    assert.deepEqual(stops.sort(), ['a', 'b', 'upstream']);
    assert.equal(channels.take(), null);
    let late = false;
    channels.whenClosed(() => { late = true; });
    assert.ok(late, 'a listener added after the close runs at once');
  });

  test('a listener that throws does not keep the others from running', () => {
    const reported: unknown[] = [];
    const channels = new ConnectionChannels(8, (error) => reported.push(error));
    let ran = false;
    channels.whenClosed(() => { throw new Error('boom'); });
    channels.whenClosed(() => { ran = true; });
    channels.close();
    assert.ok(ran);
    assert.equal(reported.length, 1);
  });

  test('the failure goes to stopFailed when the reporter is an object', () => {
    const reported: unknown[] = [];
    const channels = new ConnectionChannels(8, { stopFailed: (error) => reported.push(error) });
    channels.take()!.untilConnectionCloses(() => { throw new Error('boom'); });
    channels.close();
    assert.equal(reported.length, 1);
  });
});
