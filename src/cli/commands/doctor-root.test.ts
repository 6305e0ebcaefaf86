import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rootFindings } from './doctor-root.js';

test('root running doctor is warned about', () => {
  assert.deepEqual(rootFindings('/srv/jumpgate', 0, 0).map((f) => [f.level, f.what]), [['warn', 'jumpgate runs as root here']]);
});

test('a data dir owned by root means the gateway runs as root', () => {
  assert.deepEqual(rootFindings('/srv/jumpgate', 998, 0).map((f) => [f.level, f.what]), [['warn', 'the data dir /srv/jumpgate is owned by root, so the gateway runs as root']]);
});

test('an unprivileged user with its own data dir is fine', () => {
  assert.deepEqual(rootFindings('/srv/jumpgate', 998, 998).map((f) => f.level), ['ok']);
});
