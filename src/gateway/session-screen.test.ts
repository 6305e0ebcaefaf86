import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_VIEWERS, SCREEN_BACKLOG_BYTES, SessionScreen, type ScreenViewer } from './session-screen.js';

const rules = { join: false, notifyWatch: false, requireWatcher: false };
const owner = { user: 'alice', target: 'db1', login: 'root' };

function viewer(keepsUp = () => true) {
  const seen: { output: Buffer[]; sizes: string[]; ended: string | null } = { output: [], sizes: [], ended: null };
  const v: ScreenViewer = {
    output: (data) => { seen.output.push(data); return keepsUp(); },
    resize: (cols, rows) => seen.sizes.push(`${cols}x${rows}`),
    end: (reason) => { seen.ended = reason; },
  };
  return { v, seen };
}

describe('SessionScreen: what watchers of a live shell get', () => {
  test('a late watcher gets the size and what was printed so far, then the rest live', () => {
    const screen = new SessionScreen(owner, rules, 80, 24);
    screen.output(Buffer.from('one '));
    screen.resize(120, 40);
    const { v, seen } = viewer();
    assert.ok('detach' in screen.attach(v, 'watch'));
    screen.output(Buffer.from('two'));
    assert.equal(Buffer.concat(seen.output).toString(), 'one two');
    assert.deepEqual(seen.sizes, ['120x40']);
    screen.end('killed');
    assert.equal(seen.ended, 'killed');
  });

  test('the replay kept is bounded: the oldest output goes first', () => {
    const screen = new SessionScreen(owner, rules, 80, 24);
    const chunk = Buffer.alloc(64 * 1024, 'a');
    for (let i = 0; i < 40; i++) screen.output(chunk);
    const { v, seen } = viewer();
    screen.attach(v, 'watch');
    const replayed = Buffer.concat(seen.output).length;
    assert.ok(replayed <= SCREEN_BACKLOG_BYTES && replayed > SCREEN_BACKLOG_BYTES / 2, String(replayed));
  });

  test('a viewer that cannot keep up is dropped, and the session goes on for the others', () => {
    const screen = new SessionScreen(owner, rules, 80, 24);
    let slowKeepsUp = true;
    const slow = viewer(() => slowKeepsUp);
    const fast = viewer();
    screen.attach(slow.v, 'watch');
    screen.attach(fast.v, 'watch');
    slowKeepsUp = false;
    screen.output(Buffer.from('x'));
    screen.output(Buffer.from('y'));
    assert.equal(slow.seen.ended, 'too slow');
    assert.equal(slow.seen.output.length, 1, 'nothing more is sent to a dropped viewer');
    assert.equal(Buffer.concat(fast.seen.output).toString(), 'xy');
  });

  test('viewers are bounded, and none is added to an ended session', () => {
    const screen = new SessionScreen(owner, rules, 80, 24);
    for (let i = 0; i < MAX_VIEWERS; i++) assert.ok('detach' in screen.attach(viewer().v, 'watch'));
    assert.ok('refused' in screen.attach(viewer().v, 'watch'));
    screen.end('closed');
    assert.ok('refused' in screen.attach(viewer().v, 'watch'));
  });

  test('firstWatcher resolves when someone watches (not when someone joins), false once aborted', async () => {
    const screen = new SessionScreen(owner, rules, 80, 24);
    const wait = screen.firstWatcher();
    screen.attach(viewer().v, 'join');
    screen.attach(viewer().v, 'watch');
    assert.equal(await wait.arrived, true);
    const other = new SessionScreen(owner, rules, 80, 24).firstWatcher();
    other.abort();
    assert.equal(await other.arrived, false);
  });
});
