import path from 'node:path';
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseSettings, SettingsError } from './load-settings.js';
import { SETTINGS_TEMPLATE } from './settings-template.js';
import { rotatedName } from '../audit/audit-file.js';

/** The message parseSettings throws for the text; fails the test when it does not throw. */
function errorOf(text: string, file?: string): string {
  try {
    parseSettings(text, file);
  } catch (error) {
    assert.ok(error instanceof SettingsError, `expected a SettingsError, got ${String(error)}`);
    assert.equal(error.code, 'INVALID_SETTINGS');
    return error.message;
  }
  assert.fail('expected the settings to be refused');
}

describe('parseSettings: an empty file gives the defaults of SPEC §5', () => {
  const settings = parseSettings('');

  test('ssh', () => {
    assert.deepEqual(settings.ssh.listen, ['0.0.0.0:2222']);
    assert.deepEqual(settings.ssh.hostKeys, ['host_keys/ssh_host_ed25519_key', 'host_keys/ssh_host_rsa_key']);
    assert.deepEqual(settings.ssh.authMethods, ['publickey']);
    assert.deepEqual(settings.ssh.algorithms, {});
    assert.equal(settings.ssh.loginGraceTime, '30s');
    assert.deepEqual(settings.ssh.maxStartups, { total: 100, perSource: 10 });
    assert.equal(settings.ssh.maxAuthTries, 6);
    assert.equal(settings.ssh.maxConnections, 10000);
    assert.equal(settings.ssh.keepaliveInterval, '15s');
    assert.equal(settings.ssh.workers, 1);
    assert.deepEqual(settings.ssh.trustedUserCAKeys, []);
    assert.equal(settings.ssh.revokedKeys, null);
  });

  test('http, store, vault, allowFrom', () => {
    assert.equal(settings.http.listen, '127.0.0.1:8022');
    assert.equal(settings.store, 'sqlite:jumpgate.db');
    assert.equal(settings.vault.keyFile, 'vault.key');
    assert.deepEqual(settings.allowFrom, []);
  });

  test('bans, knock, sessions, upstream, recordings', () => {
    assert.deepEqual(settings.bans, { maxAuthFailures: 5, findWindow: '10m', banDuration: '30m', neverBan: [] });
    assert.deepEqual(settings.knock, { enabled: false, sequence: [], window: '10s', openFor: '30s' });
    assert.deepEqual(settings.sessions, { idleTimeout: '30m', maxSessionDuration: '12h', maxSessionsPerUser: 10 });
    assert.deepEqual(settings.upstream, { connectTimeout: '10s', idleClose: '60s' });
    assert.deepEqual(settings.recordings, { dir: 'recordings', recordInput: false });
  });

  test('audit', () => {
    assert.equal(settings.audit.file, 'audit.log');
    assert.equal(settings.audit.rotateSize, '100MB');
    assert.deepEqual(settings.audit.sinks, []);
    assert.deepEqual(settings.audit.alerts, []);
  });

  test('a file of comments only is the same as an empty file', () => {
    assert.deepEqual(parseSettings('# nothing set\n'), settings);
  });
});

describe('parseSettings: given values', () => {
  test('replace only the keys they name', () => {
    const settings = parseSettings('ssh:\n  maxAuthTries: 3\nsessions: {idleTimeout: 5m}\nhttp:\n  listen: ""\n');
    assert.equal(settings.ssh.maxAuthTries, 3);
    assert.deepEqual(settings.ssh.listen, ['0.0.0.0:2222']);
    assert.equal(settings.sessions.idleTimeout, '5m');
    assert.equal(settings.sessions.maxSessionDuration, '12h');
    assert.equal(settings.http.listen, '');
  });

  test('a postgres store URL is accepted', () => {
    assert.equal(parseSettings('store: postgres://jg@db:5432/jumpgate\n').store, 'postgres://jg@db:5432/jumpgate');
  });
});

describe('parseSettings: errors name the key and its line', () => {
  test('an unknown top-level key', () => {
    const message = errorOf('store: sqlite:other.db\nstroe: sqlite:x.db\n');
    assert.match(message, /^jumpgate\.yaml:2: .*"?stroe"?/);
  });

  test('an unknown nested key names its path', () => {
    const message = errorOf('ssh:\n  listen: ["0.0.0.0:2222"]\n  maxAuthTry: 3\n');
    assert.match(message, /^jumpgate\.yaml:3: /);
    assert.match(message, /ssh/);
    assert.match(message, /maxAuthTry/);
  });

  test('a wrong type names the key on its line', () => {
    assert.match(errorOf('bans:\n  maxAuthFailures: "five"\n'), /^jumpgate\.yaml:2: bans\.maxAuthFailures /);
  });

  test('a wrong type says what was expected, not that the key is missing', () => {
    assert.equal(errorOf('bans:\n  maxAuthFailures: "five"\n'), 'jumpgate.yaml:2: bans.maxAuthFailures must be a number');
    assert.equal(errorOf('ssh:\n  listen: "0.0.0.0:2222"\n'), 'jumpgate.yaml:2: ssh.listen must be an array');
  });

  test('a bad duration', () => {
    assert.equal(errorOf('sessions:\n  idleTimeout: soon\n'), 'jumpgate.yaml:2: sessions.idleTimeout must be a duration such as 30s, 10m or 12h');
  });

  test('a bad value deep in a list', () => {
    assert.match(errorOf('bans:\n  neverBan:\n    - 10.0.0.0/8\n    - nowhere\n'), /^jumpgate\.yaml:4: bans\.neverBan\[1\] /);
  });

  test('the file name given is the one printed', () => {
    assert.match(errorOf('ssh:\n  maxAuthTries: 0\n', '/etc/jumpgate/jumpgate.yaml'), /^\/etc\/jumpgate\/jumpgate\.yaml:2: ssh\.maxAuthTries /);
  });

  test('every problem is reported, one line each', () => {
    const lines = errorOf('ssh:\n  maxAuthTries: 0\nsessions:\n  idleTimeout: soon\n').split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0], /^jumpgate\.yaml:2: ssh\.maxAuthTries /);
    assert.match(lines[1], /^jumpgate\.yaml:4: sessions\.idleTimeout /);
  });

  test('a YAML syntax error gives its line', () => {
    const message = errorOf('ssh:\n  maxAuthTries: 3: 4\n');
    assert.match(message, /^jumpgate\.yaml:2: /);
    assert.ok(!message.includes('\n'));
  });

  test('a key given twice', () => {
    assert.match(errorOf('store: sqlite:a.db\nstore: sqlite:b.db\n'), /^jumpgate\.yaml:2: /);
  });
});

describe('the settings template', () => {
  test('parses and equals the defaults of an empty file', () => {
    assert.deepEqual(parseSettings(SETTINGS_TEMPLATE), parseSettings(''));
  });

  test('names rotated audit files as the audit writer names them', () => {
    const rotated = path.basename(rotatedName('/d/audit.log', '2026-11-21T15:30:00.123Z'));
    assert.match(rotated, /^audit-[0-9TZ.]+-\d+\.log$/);
    assert.match(SETTINGS_TEMPLATE, /renamed audit-<time>-<n>\.log past this size/);
  });

  test('promises what http.listen serves in this version: the console, the API, /metrics and /healthz', () => {
    assert.match(SETTINGS_TEMPLATE, /^ {2}listen: 127\.0\.0\.1:8022 +# web console, HTTP API, \/metrics, \/healthz;/m);
  });

  test('explains every top-level key', () => {
    for (const key of Object.keys(parseSettings(''))) {
      assert.match(SETTINGS_TEMPLATE, new RegExp(`^${key}:`, 'm'), `template lacks ${key}`);
    }
  });
});
