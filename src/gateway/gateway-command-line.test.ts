import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGatewayCommand, splitWords, MAX_COMMAND_LENGTH } from './gateway-command-line.js';

describe('gateway exec commands', () => {
  test('request takes a role, --for and a reason of every word up to the next option', () => {
    assert.deepEqual(parseGatewayCommand('request dba --for 2h --reason INC-42 db down'),
      { ok: true, command: { name: 'request', role: 'dba', for: '2h', reason: 'INC-42 db down' } });
    assert.deepEqual(parseGatewayCommand('request --reason "INC-42 db down" --for=3s dba'),
      { ok: true, command: { name: 'request', role: 'dba', for: '3s', reason: 'INC-42 db down' } });
    assert.deepEqual(parseGatewayCommand("request dba --reason='a b' --for 1h"),
      { ok: true, command: { name: 'request', role: 'dba', for: '1h', reason: 'a b' } });
  });

  test('requests and targets take no arguments; anything else is not a gateway command', () => {
    assert.deepEqual(parseGatewayCommand('requests'), { ok: true, command: { name: 'requests' } });
    assert.deepEqual(parseGatewayCommand('  targets '), { ok: true, command: { name: 'targets' } });
    assert.equal(parseGatewayCommand('targets --all').ok, false);
    for (const other of ['', 'ls', 'sh -c id', 'scp -t /tmp', 'Request dba', 'requests;id']) {
      assert.deepEqual(parseGatewayCommand(other), { ok: false, usage: null }, other);
    }
  });

  test('hostile or broken lines are usage errors, never a command', () => {
    for (const line of ['request', 'request --for 2h', 'request dba extra --for 2h', 'request dba --for', 'request dba --bogus', 'request dba --for 1h --for 2h',
      'request "dba --for 2h', 'request dba --reason a --reason b', `request dba --reason ${'x'.repeat(MAX_COMMAND_LENGTH)}`]) {
      const parsed = parseGatewayCommand(line);
      assert.equal(parsed.ok, false, line);
      assert.notEqual(!parsed.ok && parsed.usage, null, line);
    }
  });

  test('words split as a shell splits them', () => {
    assert.deepEqual(splitWords(`a 'b c' "d \\"e\\"" f\\ g ''`), ['a', 'b c', 'd "e"', 'f g', '']);
    assert.equal(splitWords('a "b'), null);
  });
});
