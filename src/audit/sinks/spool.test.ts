import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Spool } from './spool.js';
import { makeTempDir, removeTempDirs } from '../../../test/helpers/tmp.js';

after(removeTempDirs);

const line = (n: number) => JSON.stringify({ id: `e${n}`, type: 'auth.success', pad: 'x'.repeat(40) });

describe('Spool (size and cursor kept in memory)', () => {
  test('delivers in order from the cursor, and a new Spool on the same dir resumes where the last ack left', async () => {
    const dir = path.join(makeTempDir('spool'), 'siem');
    const spool = new Spool(dir, 1024 * 1024);
    for (let n = 0; n < 5; n++) assert.equal(spool.append(line(n)), true);
    const first = spool.peek(2);
    assert.deepEqual(first.map((entry) => entry.line), [line(0), line(1)]);
    await spool.ack(first[1].end);
    assert.equal(readFileSync(path.join(dir, 'cursor'), 'utf8'), String(first[1].end));
    spool.close();

    // A restarted gateway: size and cursor are read back from disk once.
    const again = new Spool(dir, 1024 * 1024);
    assert.deepEqual(again.peek(10).map((entry) => entry.line), [line(2), line(3), line(4)]);
    assert.equal(again.depthBytes(), 3 * (Buffer.byteLength(line(0)) + 1));
    again.close();
  });

  test('refuses an event past the bound, counting bytes, and takes it again once delivery made room', async () => {
    const dir = path.join(makeTempDir('spool'), 'siem');
    const size = Buffer.byteLength(line(0)) + 1;
    const spool = new Spool(dir, size * 3);
    for (let n = 0; n < 3; n++) assert.equal(spool.append(line(n)), true);
    assert.equal(spool.append(line(3)), false, 'a fourth line would pass the bound');
    assert.equal(spool.fill(), 1);
    await spool.ack(spool.peek(1)[0].end);
    assert.equal(spool.append(line(3)), true);
    assert.deepEqual(spool.peek(10).map((entry) => entry.line), [line(1), line(2), line(3)]);
    spool.close();
  });

  test('empties its file only once everything is delivered and the file passed 1 MiB', async () => {
    const dir = path.join(makeTempDir('spool'), 'siem');
    const spool = new Spool(dir, 64 * 1024 * 1024);
    const file = path.join(dir, 'events.jsonl');
    spool.append(line(0));
    await spool.ack(spool.peek(1)[0].end);
    spool.compactIfDelivered();
    assert.ok(statSync(file).size > 0, 'a small delivered file is left as it is');

    const big = JSON.stringify({ id: 'big', pad: 'y'.repeat(64 * 1024) });
    while (statSync(file).size < 1024 * 1024) spool.append(big);
    for (let batch = spool.peek(100); batch.length > 0; batch = spool.peek(100)) await spool.ack(batch[batch.length - 1].end);
    spool.compactIfDelivered();
    assert.equal(statSync(file).size, 0);
    assert.equal(readFileSync(path.join(dir, 'cursor'), 'utf8'), '0');
    assert.equal(spool.depthBytes(), 0);

    // Appends after the compaction start at the beginning of the file again.
    spool.append(line(7));
    assert.deepEqual(spool.peek(10).map((entry) => entry.line), [line(7)]);
    spool.close();
  });
});
