import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, MAX_VALUE_LENGTH } from './logger.js';

function capture(level?: Parameters<typeof createLogger>[0]) {
  const lines: string[] = [];
  return { lines, logger: createLogger(level, (line) => { lines.push(line); }) };
}

test('lines below the chosen level are left out', () => {
  const { lines, logger } = capture('warn');
  logger.info('connection', { src: '192.0.2.1:4000' });
  logger.warn('banned', { address: '192.0.2.1' });
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^\S+ warn banned address=192\.0\.2\.1\n$/);
});

test('values from outside are escaped and quoted, so a value cannot forge a line', () => {
  const { lines, logger } = capture('debug');
  logger.info('connection', { src: '192.0.2.1:4000', user: 'eve\n2026-01-01T00:00:00.000Z info connection user=root', outcome: 'authentication failed' });
  assert.equal(lines.length, 1);
  assert.ok(lines[0].includes(' info connection src=192.0.2.1:4000 user="eve\\x0a2026-01-01T00:00:00.000Z info connection user=root" '), lines[0]);
  assert.equal(lines[0].split('\n').length, 2, 'one line');
  assert.match(lines[0], /outcome="authentication failed"\n$/);
});

test('a long value is cut, saying how long it was', () => {
  const { lines, logger } = capture('info');
  logger.info('connection', { user: 'a'.repeat(5000) });
  assert.ok(lines[0].includes(`${'a'.repeat(MAX_VALUE_LENGTH)}… (5000 characters)`));
  assert.ok(lines[0].length < MAX_VALUE_LENGTH + 200);
});
