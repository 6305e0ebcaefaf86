import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleSessions, MAX_SESSIONS, csrfMatches } from './console-sessions.js';
import { adminLevelOf } from './principal.js';
import type { Role } from '../../domain/resources.js';

describe('console sessions', () => {
  test('a session lives while used, ends after its idle time and after its absolute limit', () => {
    let now = 0;
    const sessions = new ConsoleSessions({ idleMs: 1000, maxMs: 5000 }, () => now);
    const a = sessions.create('alice');
    assert.notEqual(a.csrf, a.id);
    now = 900;
    assert.equal(sessions.touch(a.id)?.user, 'alice');
    now = 1800;
    assert.equal(sessions.touch(a.id)?.user, 'alice', 'each use renews the idle time');
    now = 2900;
    assert.equal(sessions.touch(a.id), null, 'idle too long');
    const b = sessions.create('bob');
    for (now = 3000; now < 7900; now += 900) assert.equal(sessions.touch(b.id)?.user, 'bob');
    now = 8000;
    assert.equal(sessions.touch(b.id), null, 'past the absolute limit, however busy');
    assert.equal(sessions.touch('made-up'), null);
  });

  test('signing out and removing a user end their sessions; the table is bounded', () => {
    const sessions = new ConsoleSessions({ idleMs: 60_000, maxMs: 600_000 });
    const a = sessions.create('alice');
    const a2 = sessions.create('alice');
    const b = sessions.create('bob');
    sessions.end(a.id);
    assert.equal(sessions.touch(a.id), null);
    sessions.endUser('alice');
    assert.equal(sessions.touch(a2.id), null);
    assert.equal(sessions.touch(b.id)?.user, 'bob');
    for (let i = 0; i < MAX_SESSIONS + 10; i++) sessions.create(`user${i}`);
    assert.equal(sessions.size, MAX_SESSIONS);
  });

  test('the CSRF token must match exactly', () => {
    assert.equal(csrfMatches('abc', 'abc'), true);
    assert.equal(csrfMatches('abc', 'abd'), false);
    assert.equal(csrfMatches('abc', 'ab'), false);
    assert.equal(csrfMatches('abc', undefined), false);
  });

  test("a user's console level is the highest admin level of their roles", () => {
    const role = (admin?: Role['admin']): Role => ({ kind: 'Role', name: 'r', allow: [], ...(admin ? { admin } : {}) });
    assert.equal(adminLevelOf([]), 'none');
    assert.equal(adminLevelOf([role()]), 'none');
    assert.equal(adminLevelOf([role('read'), role()]), 'read');
    assert.equal(adminLevelOf([role('read'), role('write'), role('none')]), 'write');
  });
});
