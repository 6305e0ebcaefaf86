import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { raiseOpenFilesLimit, readOpenFilesLimit, openDescriptorCount } from './open-files.js';

test('a soft open-files limit below the hard one is raised to it, and that is logged', () => {
  const start = readOpenFilesLimit();
  assert.ok(start && Number.isFinite(start.hard), 'no finite open-files limit to work with');
  // Lower this test process's own soft limit a little, as a runtime that did not raise it would leave it.
  const lowered = Math.max((openDescriptorCount() ?? 64) + 64, start.hard - 16);
  execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${lowered}:${start.hard}`]);
  assert.equal(readOpenFilesLimit()?.soft, lowered);

  const lines: string[] = [];
  const logger = { info: (line: string) => lines.push(line), warn: (line: string) => lines.push(`warn ${line}`) };
  assert.deepEqual(raiseOpenFilesLimit(logger), { soft: start.hard, hard: start.hard });
  assert.deepEqual(readOpenFilesLimit(), { soft: start.hard, hard: start.hard });
  assert.deepEqual(lines, [`open files limit raised from ${lowered} to ${start.hard}`]);

  lines.length = 0;
  raiseOpenFilesLimit(logger);
  assert.deepEqual(lines, [`open files limit ${start.hard}`]);
});
