/**
 * The resource YAML parser reads files an operator was handed, from anywhere. Properties:
 * whatever the text, it returns resources or throws the documented ResourceFileError and
 * nothing else; every error is one line that names `file:line` with a line of the file;
 * and resources written out as YAML come back as they were, each at its document's line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import YAML from 'yaml';
import { fuzz, fuzzTimeoutMs } from '../../test/helpers/fuzz.js';
import { parseResourceYaml, ResourceFileError } from './resource-yaml.js';
import { ResourceSchema, type Resource } from './resources.js';

const FILE = 'fuzz.yaml';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBmFkQ0E3kC5wNQxZRXNk2ZpcR3K7ZSRjwpZUj3pGkd7 alice@laptop';

const SAMPLE = `kind: User
name: alice
roles: [dba]
keys:
  - ${KEY}
  - {key: "${KEY}", expires: 2026-12-31}
sourceCidrs: [203.0.113.0/24]
---
kind: Credential
name: db-root-key
type: privateKey
secretFile: ./keys/db_root
---
kind: Target
name: db1
host: 10.0.2.5
port: 2200
alternateHosts: [db1-b.internal]
via: dmz-jump
login: root
credential: db-root-key
hostKey: SHA256:3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w0
labels: {env: prod, zone: "db"}
connectTimeout: 10s
---
kind: Role
name: dba
allow:
  - targets: [db1]
    labels: {env: prod}
    access: [jump, session, forward]
    logins: [root, postgres]
    ports: [22, 5432]
    sourceCidrs: [10.8.0.0/16]
    mfa: true
    record: true
anchors: &a [1, *a]
`;

/** Parses, and checks what comes out: resources, or the documented error with one good line per problem. */
function parseChecked(text: string): Resource[] | null {
  let parsed;
  try {
    parsed = parseResourceYaml(text, FILE);
  } catch (error) {
    assert.ok(error instanceof ResourceFileError, `threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    assert.ok(error.errors.length > 0, 'a ResourceFileError without errors');
    const lines = text.split(/\r\n|\r|\n/).length;
    for (const e of error.errors) {
      assert.equal(e.file, FILE);
      assert.ok(Number.isInteger(e.line) && e.line >= 1 && e.line <= lines, `line ${e.line} of a ${lines}-line file`);
      assert.ok(e.message.length > 0, 'an empty message');
      assert.doesNotMatch(e.message, /[\r\n]/, `a message over several lines: ${JSON.stringify(e.message)}`);
    }
    assert.equal(error.message.split('\n').length, error.errors.length, 'one line per error');
    for (const line of error.message.split('\n')) assert.ok(line.startsWith(`${FILE}:`), `not file:line: ${JSON.stringify(line)}`);
    return null;
  }
  for (const entry of parsed) {
    assert.ok(ResourceSchema.safeParse(entry.resource).success, 'returned a resource the schema refuses');
    assert.equal(entry.file, FILE);
  }
  return parsed.map((p) => p.resource);
}

/** Text that looks like YAML: its punctuation, indentation and words of the resources. */
const yamlish = fc.array(
  fc.oneof(
    fc.constantFrom('kind: ', 'Target', 'User', 'Role', 'Credential', 'name: ', 'host: ', 'port: ', 'allow:', '- ', '---', '\n', '  ', ':', '[', ']', '{', '}', ',',
      '&a ', '*a', '<<: ', '!!binary ', '!!set ', '? ', '|', '>', '"', "'", '#', '%YAML 1.2\n', '\t', '\r', '\u0000', '\u001b[2J', 'ports: [22, 99999]', '1e999', '0x10'),
    fc.string({ maxLength: 8 }),
  ),
  { maxLength: 60 },
).map((parts) => parts.join(''));

/** The sample with a few edits: a slice removed, text inserted, a line repeated or moved. */
const mutated = fc.array(
  fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('\n', ': ', '- ', '  ', '---\n', '&x ', '*x', '{', '[', '"', 'kind: Role\n'))),
  { minLength: 1, maxLength: 6 },
).map((edits) => edits.reduce((text, [at, length, insert]) => {
  const from = at % (text.length + 1);
  return text.slice(0, from) + insert + text.slice(from + length);
}, SAMPLE));

const lineShuffled = fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 8 }).map((swaps) => {
  const lines = SAMPLE.split('\n');
  for (const [i, j] of swaps) {
    const a = i % lines.length;
    const b = j % lines.length;
    [lines[a], lines[b]] = [lines[b], lines[a]];
  }
  return lines.join('\n');
});

test('arbitrary and mutated YAML gives resources or the documented error, each problem on one file:line', { timeout: fuzzTimeoutMs() }, () =>
  fuzz(fc.property(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 400 }),
      fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes).toString('utf8')),
      yamlish,
      mutated,
      lineShuffled,
    ),
    (text) => { parseChecked(text); },
  )));

/** Any JSON-like value where a resource field goes, and the fields of every kind. */
const FIELDS = ['kind', 'name', 'host', 'port', 'alternateHosts', 'via', 'login', 'credential', 'hostKey', 'labels', 'connectTimeout', 'description',
  'roles', 'keys', 'sourceCidrs', 'principals', 'disabled', 'allow', 'type', 'secretFile', 'passphraseFile', 'targets', 'access', 'ports', 'logins', 'mfa'];
const anyDocument = fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ unit: 'binary', maxLength: 10 })), fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('Target', 'User', 'Role', 'Credential', 'db1', 22, 65536, -1, 1.5, null, [], {}, [{ access: ['jump'] }], [{ targets: ['*'], access: ['teleport'] }]),
), { maxKeys: 8 });

test('documents of any shape are validated, never thrown about', { timeout: fuzzTimeoutMs() }, () =>
  fuzz(fc.property(fc.array(anyDocument, { maxLength: 4 }), (documents) => {
    parseChecked(documents.map((d) => YAML.stringify(d)).join('---\n'));
  })));

/** Valid resources, built from the schema's own rules. */
const resourceName = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,15}$/);
const validTarget = fc.record({
  kind: fc.constant('Target' as const),
  name: resourceName,
  host: fc.oneof(fc.ipV4(), fc.domain()),
  port: fc.integer({ min: 1, max: 65535 }),
  alternateHosts: fc.array(fc.domain(), { maxLength: 2 }),
  labels: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ maxLength: 12 }), { maxKeys: 3 }),
}, { requiredKeys: ['kind', 'name', 'host', 'port', 'alternateHosts', 'labels'] });
const validRole = fc.record({
  kind: fc.constant('Role' as const),
  name: resourceName,
  allow: fc.array(fc.record({
    targets: fc.array(resourceName, { minLength: 1, maxLength: 3 }),
    access: fc.uniqueArray(fc.constantFrom('jump', 'session', 'sftp', 'forward'), { minLength: 1 }),
    ports: fc.array(fc.integer({ min: 1, max: 65535 }), { maxLength: 3 }),
  }), { maxLength: 3 }),
});

test('resources written as YAML come back as they were, each at the line its document starts', { timeout: fuzzTimeoutMs() }, () =>
  fuzz(fc.property(fc.array(fc.oneof(validTarget, validRole), { minLength: 1, maxLength: 5 }), (resources) => {
    // Distinct names per kind: a file that defines one twice is refused, which another property covers.
    const unique = resources.filter((r, i) => resources.findIndex((o) => o.kind === r.kind && o.name === r.name) === i);
    const documents = unique.map((r) => YAML.stringify(r));
    const parsed = parseResourceYaml(documents.join('---\n'), FILE);
    assert.deepEqual(parsed.map((p) => p.resource), unique.map((r) => ResourceSchema.parse(r)));
    let line = 1;
    for (const [i, entry] of parsed.entries()) {
      assert.equal(entry.line, line);
      line += documents[i].split('\n').length;
    }
  })));
