import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RoleSchema } from '../domain/resources.js';
import { checkDecisionReason, checkDuration, checkReason, mayDecide, newRequest, MAX_REASON_LENGTH, PENDING_TTL_MS, REQUEST_ID } from './access-request.js';

const dba = RoleSchema.parse({ kind: 'Role', name: 'dba', requestable: { maxDuration: '4h', approvers: ['sec-leads', 'dba-leads'] } });
const plain = RoleSchema.parse({ kind: 'Role', name: 'ops' });

describe('access request checks', () => {
  test('a duration is a duration string between 1s and the role\'s maxDuration', () => {
    assert.deepEqual(checkDuration('2h', dba), { ok: true, value: 7_200_000 });
    assert.deepEqual(checkDuration('4h', dba), { ok: true, value: 14_400_000 });
    assert.deepEqual(checkDuration('3s', dba), { ok: true, value: 3000 });
    const refusals: [string | undefined, RegExp][] = [
      ['5h', /at most 4h/], ['241m', /at most 4h/], ['500ms', /at least 1s/], ['0s', /at least 1s/], ['soon', /must be a duration/], ['-1h', /must be a duration/],
      ['1e9h', /must be a duration/], [undefined, /say how long with --for \(at most 4h\)/],
    ];
    for (const [text, message] of refusals) {
      const checked = checkDuration(text, dba);
      assert.equal(checked.ok, false, text);
      assert.match(!checked.ok ? checked.message : '', message, text);
    }
    assert.deepEqual(checkDuration('1h', plain), { ok: false, message: 'role ops is not requestable' });
  });

  test('a reason is required, one printable line, bounded', () => {
    assert.deepEqual(checkReason('  INC-42: replica lag, see #ops ✓ '), { ok: true, value: 'INC-42: replica lag, see #ops ✓' });
    for (const bad of [undefined, '', '   ', 'a\nb', 'bell\x07', 'esc\x1b[2J', 'rtl\u202etxet', 'tab\there', 'x'.repeat(MAX_REASON_LENGTH + 1)]) {
      assert.equal(checkReason(bad).ok, false, JSON.stringify(bad));
    }
    assert.equal(checkReason('x'.repeat(MAX_REASON_LENGTH)).ok, true);
    assert.deepEqual(checkDecisionReason(undefined), { ok: true, value: null });
    assert.deepEqual(checkDecisionReason(' '), { ok: true, value: null });
    assert.equal(checkDecisionReason('a\rb').ok, false);
  });

  test('holders of an approver role may decide; nobody decides for a role that is not requestable', () => {
    assert.equal(mayDecide(dba, ['dba-leads']), true);
    assert.equal(mayDecide(dba, ['dba', 'ops']), false);
    assert.equal(mayDecide(plain, ['ops']), false);
    assert.equal(mayDecide(null, ['sec-leads']), false);
  });

  test('a new request is pending, lapses after a day, and has a short unguessable id', () => {
    const now = new Date('2026-06-01T12:00:00.000Z');
    const request = newRequest('alice', 'dba', 3000, 'INC-42', now);
    assert.match(request.id, REQUEST_ID);
    assert.equal(request.status, 'pending');
    assert.equal(Date.parse(request.lapsesAt) - now.getTime(), PENDING_TTL_MS);
    assert.notEqual(newRequest('alice', 'dba', 3000, 'INC-42', now).id, request.id);
  });
});
