import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseResourceYaml, ResourceFileError, type YamlError } from './resource-yaml.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBmFkQ0E3kC5wNQxZRXNk2ZpcR3K7ZSRjwpZUj3pGkd7 alice@laptop';

/** The errors parseResourceYaml throws for the text; fails the test when it does not throw. */
function errorsOf(text: string, file = 'targets.yaml'): YamlError[] {
  try {
    parseResourceYaml(text, file);
  } catch (error) {
    assert.ok(error instanceof ResourceFileError, `expected a ResourceFileError, got ${String(error)}`);
    assert.equal(error.code, 'INVALID_RESOURCES');
    return error.errors;
  }
  assert.fail('expected the file to be refused');
}

/** The lines a user sees, `FILE:LINE: message`. */
function messagesOf(text: string, file = 'targets.yaml'): string[] {
  return errorsOf(text, file).map((e) => `${e.file}:${e.line}: ${e.message}`);
}

const VALID = `kind: User
name: alice
roles: [dba]
keys:
  - ${KEY}
---
kind: Credential
name: db-root-key
type: privateKey
---
kind: Target
name: dmz-jump
host: 10.0.1.10
---
kind: Target
name: db1
host: 10.0.2.5
via: dmz-jump
login: root
credential: db-root-key
labels: {env: prod, zone: db}
connectTimeout: 10s
---
kind: Role
name: dba
allow:
  - targets: [db1]
    access: [jump, session]
    ports: [22, 5432]
`;

describe('parseResourceYaml: valid files', () => {
  test('reads every document with its kind, name and first line', () => {
    const parsed = parseResourceYaml(VALID, 'all.yaml');
    assert.deepEqual(parsed.map((p) => [p.resource.kind, p.resource.name, p.file, p.line]), [
      ['User', 'alice', 'all.yaml', 1],
      ['Credential', 'db-root-key', 'all.yaml', 7],
      ['Target', 'dmz-jump', 'all.yaml', 11],
      ['Target', 'db1', 'all.yaml', 15],
      ['Role', 'dba', 'all.yaml', 24],
    ]);
  });

  test('applies the schema defaults', () => {
    const parsed = parseResourceYaml(VALID, 'all.yaml');
    const dmz = parsed.find((p) => p.resource.name === 'dmz-jump')?.resource;
    assert.ok(dmz?.kind === 'Target');
    assert.equal(dmz.port, 22);
    assert.deepEqual(dmz.alternateHosts, []);
    assert.deepEqual(dmz.labels, {});
    const dba = parsed.find((p) => p.resource.name === 'dba')?.resource;
    assert.ok(dba?.kind === 'Role');
    assert.equal(dba.allow[0].mfa, false);
  });

  test('skips empty documents (a stray ---)', () => {
    const text = '---\n---\nkind: Target\nname: db1\nhost: 10.0.2.5\n---\n';
    const parsed = parseResourceYaml(text, 'targets.yaml');
    assert.deepEqual(parsed.map((p) => [p.resource.name, p.line]), [['db1', 3]]);
  });

  test('an empty file holds no resources', () => {
    assert.deepEqual(parseResourceYaml('', 'empty.yaml'), []);
    assert.deepEqual(parseResourceYaml('# nothing yet\n', 'empty.yaml'), []);
  });
});

describe('parseResourceYaml: errors name the file, the line and the field', () => {
  test('an invalid port', () => {
    const text = 'kind: Target\nname: dmz-jump\nhost: 10.0.1.10\n---\nkind: Target\nname: db1\nhost: 10.0.2.5\nlogin: root\nport: 70000\n';
    assert.deepEqual(messagesOf(text), ['targets.yaml:9: Target db1: port must be 1-65535']);
    assert.deepEqual(errorsOf(text), [{ file: 'targets.yaml', line: 9, message: 'Target db1: port must be 1-65535' }]);
  });

  test('the thrown message is the same lines, one per problem', () => {
    const text = 'kind: Target\nname: db1\nhost: 10.0.2.5\nport: 0\n';
    assert.throws(() => parseResourceYaml(text, 'targets.yaml'), { message: 'targets.yaml:4: Target db1: port must be 1-65535' });
  });

  test('credentials without a secret refuse a secret file; rotateEvery is for private keys only', () => {
    const text = 'kind: Credential\nname: per-login\ntype: certificate\nsecretFile: ./key\n---\nkind: Credential\nname: db-pass\ntype: password\nsecretFile: ./pass\nrotateEvery: 30d\n';
    assert.deepEqual(messagesOf(text, 'credentials.yaml'), [
      'credentials.yaml:4: Credential per-login: secretFile must be absent: a certificate credential holds no secret',
      'credentials.yaml:10: Credential db-pass: rotateEvery applies to privateKey credentials only',
    ]);
    // Positive control: the same kinds, well formed.
    assert.doesNotThrow(() => parseResourceYaml('kind: Credential\nname: mine\ntype: agent\n---\nkind: Credential\nname: db-key\ntype: privateKey\nsecretFile: ./k\nrotateEvery: 30d\n', 'credentials.yaml'));
  });

  test('a nested field names its path', () => {
    const text = 'kind: Role\nname: dba\nallow:\n  - targets: [db1]\n    access: [jump]\n    ports: [22, 99999]\n';
    assert.deepEqual(messagesOf(text, 'roles.yaml'), ['roles.yaml:6: Role dba: allow[0].ports[1] must be 1-65535']);
  });

  test('an unknown field names the field and its line', () => {
    const text = 'kind: Target\nname: db1\nhost: 10.0.2.5\nprot: 22\n';
    const [error, ...rest] = errorsOf(text);
    assert.deepEqual(rest, []);
    assert.match(error.message, /^Target db1: .*"prot"/);
    assert.equal(error.line, 4);
  });

  test('a missing kind', () => {
    const [error, ...rest] = errorsOf('name: db1\nhost: 10.0.2.5\n');
    assert.deepEqual(rest, []);
    assert.equal(error.line, 1);
    assert.match(error.message, /\bkind\b/);
  });

  test('an unknown kind', () => {
    const [error, ...rest] = errorsOf('name: db1\nkind: Widget\n');
    assert.deepEqual(rest, []);
    assert.equal(error.line, 2);
    assert.match(error.message, /\bkind\b/);
  });

  test('a value of the wrong type says what was expected, not that it is missing', () => {
    const [error] = errorsOf('kind: User\nname: alice\nroles: dba\n');
    assert.equal(error.line, 3);
    assert.equal(error.message, 'User alice: roles must be an array');
  });

  test('a YAML syntax error with its line', () => {
    const [error, ...rest] = errorsOf('kind: Target\nname: db1: x\nhost: 10.0.2.5\n');
    assert.deepEqual(rest, []);
    assert.equal(error.line, 2);
    assert.ok(error.message.length > 0);
    assert.ok(!error.message.includes('\n'));
  });

  test('a key given twice', () => {
    const [error] = errorsOf('kind: Target\nname: db1\nhost: a\nhost: b\n');
    assert.equal(error.line, 4);
    assert.match(error.message, /unique/);
  });

  test('an alias with no anchor is a file error, not a crash', () => {
    assert.deepEqual(messagesOf('kind: Target\nname: db1\nhost: *nowhere\n'), [
      'targets.yaml:1: Unresolved alias (the anchor must be set before the alias): nowhere',
    ]);
  });

  test('aliases that expand without bound ("billion laughs") are a file error', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) levels.push(`${'abcdefgh'[i]}: &${'abcdefgh'[i]} [${Array(10).fill(`*${'abcdefgh'[i - 1]}`).join(', ')}]`);
    const [error, ...rest] = errorsOf(`kind: Target\nname: db1\nhost: a\n${levels.join('\n')}\n`);
    assert.deepEqual(rest, []);
    assert.equal(error.line, 1);
    assert.match(error.message, /alias/i);
  });

  test('control characters from the file are shown escaped, one line per problem', () => {
    const text = 'kind: Target\nname: "db1\\e[2J"\nhost: a\n"por\\nt": 22\n---\nkind: "Target\\nUser"\nname: x\n';
    assert.deepEqual(messagesOf(text), [
      'targets.yaml:2: Target db1\\u001b[2J: name must start with a letter or digit and hold only letters, digits, ".", "_" or "-" (at most 63)',
      'targets.yaml:4: Target db1\\u001b[2J: unknown field "por\\u000at"',
      'targets.yaml:6: kind must be one of User, Target, Role, Credential',
    ]);
  });

  test('a resource defined twice points at the first', () => {
    const text = 'kind: Target\nname: db1\nhost: a\n---\nkind: Role\nname: db1\n---\nkind: Target\nname: db1\nhost: b\n';
    assert.deepEqual(messagesOf(text), ['targets.yaml:8: Target db1: defined twice (first at line 1)']);
  });
});

describe('parseResourceYaml: all problems are reported together', () => {
  test('two bad documents give two messages, in line order', () => {
    const text = [
      'kind: User', 'name: alice', 'roles: [dba]', 'sourceCidrs: [not-a-cidr]',
      '---',
      'kind: Target', 'name: db1', 'host: 10.0.2.5', 'port: 0',
    ].join('\n') + '\n';
    assert.deepEqual(messagesOf(text), [
      'targets.yaml:4: User alice: sourceCidrs[0] must be an IPv4 or IPv6 address or CIDR block',
      'targets.yaml:9: Target db1: port must be 1-65535',
    ]);
  });

  test('a syntax error in one document and a schema error in another', () => {
    const text = 'kind: Target\nname: db1\nhost: a\nport: -1\n---\nkind: Target\nname: db2: x\n';
    const lines = errorsOf(text).map((e) => e.line);
    assert.deepEqual(lines, [4, 7]);
  });

  test('good documents do not hide a bad one', () => {
    const text = VALID + '---\nkind: Target\nname: db2\nhost: 10.0.2.6\nport: 0\n';
    assert.deepEqual(messagesOf(text), ['targets.yaml:34: Target db2: port must be 1-65535']);
  });
});
