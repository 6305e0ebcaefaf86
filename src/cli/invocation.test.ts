import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { invocationName } from './invocation.js';

test('jumpgate by name when that name on PATH is this program (npm link), else the path it was run by', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jumpgate-invocation-'));
  try {
    const program = path.join(dir, 'checkout', 'bin', 'jumpgate');
    mkdirSync(path.dirname(program), { recursive: true });
    writeFileSync(program, '');
    const linked = path.join(dir, 'global-bin');
    mkdirSync(linked);
    symlinkSync(program, path.join(linked, 'jumpgate'));
    const other = path.join(dir, 'other-bin');
    mkdirSync(other);
    writeFileSync(path.join(other, 'jumpgate'), '');

    assert.equal(invocationName(program, [other, linked].join(path.delimiter)), 'jumpgate');
    assert.equal(invocationName(program, other), program, 'another jumpgate on PATH is not this one');
    const inCwd = path.join(process.cwd(), 'bin', 'jumpgate');
    assert.equal(invocationName(inCwd, ''), './bin/jumpgate');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
