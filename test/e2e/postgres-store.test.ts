/**
 * The core scenarios on the PostgreSQL store (SPEC §10): ProxyJump, a proxied session and
 * the audit trail, through the built gateway whose `store:` is a fresh database of this test
 * process's private cluster. The same scenarios on SQLite are in proxyjump.test.ts,
 * proxied-sessions.test.ts and audit.test.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import YAML from 'yaml';
import { startGateway, type Gateway } from '../helpers/gateway.js';
import { allOutput, describeRun } from '../helpers/ssh-client.js';
import { osLogin } from '../helpers/sshd.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { startProxiedWorld, startWorld } from '../helpers/world.js';

/** The store URL the gateway's settings name. */
function storeUrlOf(gateway: Gateway): string {
  const settings = YAML.parse(fs.readFileSync(path.join(gateway.dataDir, 'jumpgate.yaml'), 'utf8')) as { store: string };
  assert.match(settings.store, /^postgres:\/\//, 'the gateway runs on PostgreSQL');
  return settings.store;
}

/** Reads the gateway's database directly, to show the events and sessions live there. */
async function queryStore<T extends pg.QueryResultRow>(gateway: Gateway, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: storeUrlOf(gateway) });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('on PostgreSQL: ProxyJump and the audit trail', () => {
  const w = suiteFixture(() => startWorld({ store: 'postgres' }));

  test('ssh -J gate LOGIN@db1 runs a command and brings back its exit status', { timeout: 30_000 }, async () => {
    const hello = await w.alice.run(['-J', 'gate', `${w.login}@db1`, 'echo hello-from-target']);
    assert.equal(hello.code, 0, describeRun(hello));
    assert.match(hello.stdout, /^hello-from-target$/m);
    const status = await w.alice.run(['-J', 'gate', `${w.login}@db1`, 'exit 7']);
    assert.equal(status.code, 7, describeRun(status));
  });

  test('a refused user stays refused', { timeout: 30_000 }, async () => {
    const denied = await w.bob.run(['-J', 'gate', `${w.login}@db1`, 'true']);
    assert.notEqual(denied.code, 0, describeRun(denied));
    assert.match(allOutput(denied), /jumpgate: bob may not reach db1/, describeRun(denied));
  });

  test('the audit trail is one chain, in the database and in audit.log alike, and audit verify passes', { timeout: 60_000 }, async () => {
    const wrongKey = await w.stranger.run(['-J', 'gate', `${w.login}@db1`, 'true']);
    assert.equal(wrongKey.code, 255, describeRun(wrongKey));
    const g = w.gateway;
    await g.waitForAuditEvent((e) => e.type === 'auth.failure');
    await g.waitForAuditEvent((e) => e.type === 'access.denied' && e.user === 'bob');
    await g.waitForAuditEvent((e) => e.type === 'session.end' && e.user === 'alice' && e.kind === 'jump');

    const lines = g.auditEvents();
    for (let i = 1; i < lines.length; i += 1) assert.equal(lines[i].prev, lines[i - 1].hash, `audit.log line ${i + 1} does not chain to line ${i}`);
    const rows = await queryStore<{ id: string; hash: string }>(g, 'SELECT id, hash FROM audit_events ORDER BY seq');
    assert.deepEqual(rows.map((row) => row.id), lines.map((e) => e.id), 'the database holds the events of audit.log, in its order');

    const verify = await g.jumpgate(['audit', 'verify']);
    assert.equal(verify.code, 0, describeRun(verify));

    const listed = await g.jumpgate(['audit', '--type', 'session', '--user', 'alice', '-o', 'json']);
    assert.equal(listed.code, 0, describeRun(listed));
    const types = listed.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { type: string }).type);
    assert.ok(types.includes('session.start') && types.includes('session.end'), listed.stdout);
    assert.ok(types.every((type) => type.startsWith('session.')), listed.stdout);
  });

  test('jumpgate sessions --all lists the ended jump sessions from the database', { timeout: 30_000 }, async () => {
    const r = await w.gateway.jumpgate(['sessions', '--all', '-o', 'json']);
    assert.equal(r.code, 0, describeRun(r));
    const sessions = JSON.parse(r.stdout) as Array<{ kind: string; user: string; reason: string | null }>;
    assert.ok(sessions.some((s) => s.kind === 'jump' && s.user === 'alice' && s.reason === 'closed'), r.stdout);
    const live = await w.gateway.jumpgate(['sessions']);
    assert.equal(live.code, 0, describeRun(live));
    assert.match(live.stdout, /^no live sessions$/m);
  });
});

describe('on PostgreSQL: a proxied session', () => {
  const w = suiteFixture(() => startProxiedWorld({
    store: 'postgres',
    extraYaml: () => `kind: Role
name: dba
allow:
  - targets: [db1]
    access: [session]
    logins: [${osLogin}]
`,
  }));

  test('ssh alice+db1@gate runs a command on db1 with the stored credential, audited and recorded in the database', { timeout: 60_000 }, async () => {
    const r = await w.alice.run(['-p', String(w.gateway.port), 'alice+db1@127.0.0.1', 'echo "$(id -un) via proxied session"; exit 3']);
    assert.equal(r.code, 3, describeRun(r));
    assert.equal(r.stdout, `${osLogin} via proxied session\n`);
    const command = await w.gateway.waitForAuditEvent((e) => e.type === 'command' && String(e.command).includes('via proxied session'));
    const end = await w.gateway.waitForAuditEvent((e) => e.type === 'session.end' && e.session === command.session);
    assert.equal(end.exit_status, 3);
    assert.equal(end.kind, 'session');
    const sessions = await queryStore<{ id: string; kind: string; reason: string }>(w.gateway, 'SELECT id, kind, reason FROM sessions');
    assert.deepEqual(sessions, [{ id: command.session, kind: 'session', reason: 'closed' }]);
    // The credential was decrypted from the database's copy; db1's host key was learnt there.
    const hostKeys = await queryStore<{ name: string }>(w.gateway, 'SELECT name FROM host_keys');
    assert.deepEqual(hostKeys, [{ name: 'db1' }]);
  });
});

describe('on PostgreSQL: the store password stays secret', () => {
  const g = suiteFixture(() => startGateway({ store: 'postgres' }));

  test('a wrong password in the settings: the command fails and names the store with *** for its password', { timeout: 60_000 }, async () => {
    const url = new URL(storeUrlOf(g));
    const password = decodeURIComponent(url.password);
    assert.ok(!g.stderrText().includes(password), 'serve logged the store password');

    const positive = await g.jumpgate(['get', 'users']);
    assert.equal(positive.code, 0, describeRun(positive));

    const settingsFile = path.join(g.dataDir, 'jumpgate.yaml');
    const original = fs.readFileSync(settingsFile, 'utf8');
    url.password = 'Wrong-S3cret-w0rd';
    fs.writeFileSync(settingsFile, original.replace(storeUrlOf(g), url.href));
    try {
      const refused = await g.jumpgate(['get', 'users']);
      assert.equal(refused.code, 1, describeRun(refused));
      assert.match(refused.stderr, /^jumpgate: store postgres:\/\/jumpgate:\*\*\*@127\.0\.0\.1:\d+\/\w+: password authentication failed for user "jumpgate"$/m, describeRun(refused));
      const doctor = await g.jumpgate(['doctor']);
      assert.equal(doctor.code, 1, describeRun(doctor));
      assert.match(doctor.stdout, /^fail {2}store postgres:\/\/jumpgate:\*\*\*@.*password authentication failed/m, describeRun(doctor));
      for (const r of [refused, doctor]) {
        assert.ok(!allOutput(r).includes('Wrong-S3cret-w0rd'), describeRun(r));
        assert.ok(!allOutput(r).includes(password), describeRun(r));
      }
    } finally {
      fs.writeFileSync(settingsFile, original);
    }
  });
});
