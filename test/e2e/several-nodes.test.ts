/**
 * Two gateway nodes on one PostgreSQL behind a real HAProxy (`mode tcp`, health checks,
 * `send-proxy-v2`), all on loopback, with the stock OpenSSH client (SPEC §10). Clients bind
 * their own 127/8 addresses (BindAddress, which OpenSSH also applies to the `-J` hop), so the
 * nodes' audit trails tell them apart from HAProxy, the only trusted proxy (127.0.0.1).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { settingsWith, startGateway, type AuditEvent, type Gateway } from '../helpers/gateway.js';
import { startHaproxy, type Haproxy } from '../helpers/haproxy.js';
import { makeKeyPair, type KeyPair } from '../helpers/keys.js';
import { allOutput, describeRun, makeSshClient, type SshClient } from '../helpers/ssh-client.js';
import { osLogin, startSshd, type Sshd } from '../helpers/sshd.js';
import { suiteFixture } from '../helpers/suite-fixture.js';

const HEARTBEAT_MS = 1_000;
const DEAD_AFTER_MS = 5_000;

interface Cluster {
  a: Gateway;
  b: Gateway;
  haproxy: Haproxy;
  db1: Sshd;
  keys: { alice: KeyPair; stranger: KeyPair };
  /** alice's ssh set-up towards `gate` at this port, from this source address. */
  alice(port: number, from: string, user?: string): SshClient;
  stranger(port: number, from: string): SshClient;
  stop(): Promise<void>;
}

async function startCluster(): Promise<Cluster> {
  const a = await startGateway({
    store: 'postgres',
    settings: settingsWith([
      [['node'], 'a'],
      [['http', 'listen'], ''],
      [['cluster'], { heartbeat: `${HEARTBEAT_MS / 1000}s`, deadAfter: `${DEAD_AFTER_MS / 1000}s` }],
      [['ssh', 'proxyProtocol'], { trustedProxies: ['127.0.0.1/32'] }],
      [['bans'], { maxAuthFailures: 5, findWindow: '10m', banDuration: '30m', neverBan: [] }],
      [['audit', 'alerts'], [{ name: 'mallory-tries', on: 'auth.failure', count: 4, window: '10m', match: { users: ['mallory'] } }]],
    ]),
  });
  // The second node: the first one's settings, keys and store, its own name and files.
  const b = await startGateway({ dataDirFrom: a.dataDir, settings: settingsWith([[['node'], 'b']]) });
  const dir = a.workDir;
  const [alice, stranger, dbKey] = await Promise.all([
    makeKeyPair(dir, 'alice', 'alice@laptop'),
    makeKeyPair(dir, 'stranger', 'stranger@elsewhere'),
    makeKeyPair(dir, 'db-key', 'jumpgate-credential'),
  ]);
  const db1 = await startSshd({ authorizedKeys: [alice.publicKey, dbKey.publicKey] });
  await a.apply(`kind: Credential
name: db-key
type: privateKey
secretFile: ./db-key
---
kind: User
name: alice
roles: [ops]
keys:
  - ${alice.publicKey}
---
kind: Target
name: db1
host: 127.0.0.1
port: ${db1.port}
login: ${osLogin}
credential: db-key
---
kind: Role
name: ops
allow:
  - targets: [db1]
    access: [jump, session]
    ports: [22]
    logins: [${osLogin}]
    record: true
`);
  const haproxy = await startHaproxy([
    { source: '127.0.0.1', servers: [{ name: 'a', port: a.port }, { name: 'b', port: b.port }] },
    // The same door from an address the nodes do not trust to speak PROXY.
    { source: '127.0.0.13', servers: [{ name: 'a', port: a.port }] },
  ]);
  await haproxy.waitUntil(['gates0/a', 'gates0/b', 'gates1/a'], 'UP');
  const client = (key: KeyPair, user: string) => (port: number, from: string) => makeSshClient({
    dir, gateUser: user, gatePort: port, gateKey: key.privateKeyPath, gateConfig: [`BindAddress ${from}`],
  });
  return {
    a, b, haproxy, db1,
    keys: { alice, stranger },
    alice: (port, from, user = 'alice') => client(alice, user)(port, from),
    stranger: client(stranger, 'alice'),
    async stop() {
      try {
        await haproxy.stop();
        await b.stop();
        if (a.isAlive()) await a.stop();
      } finally {
        await db1.stop();
      }
    },
  };
}

/** The store's events (any node's data dir reads them), oldest first. */
async function storeEvents(node: Gateway): Promise<AuditEvent[]> {
  const r = await node.jumpgate(['audit', '-o', 'json']);
  assert.equal(r.code, 0, describeRun(r));
  return r.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditEvent);
}

interface SessionRow { id: string; node: string; kind: string; src: string; endedAt: string | null; reason: string | null }

async function sessions(node: Gateway, all = false): Promise<SessionRow[]> {
  const r = await node.jumpgate(['sessions', ...(all ? ['--all'] : []), '-o', 'json']);
  assert.equal(r.code, 0, describeRun(r));
  return JSON.parse(r.stdout) as SessionRow[];
}

/** Connects from `from` and reads the first line: an SSH banner, or nothing before the close. */
function firstBytes(port: number, from: string): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: from });
    const finish = () => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      resolve(data);
    };
    const timer = setTimeout(finish, 5_000);
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      if (data.includes('\n')) finish();
    });
    socket.on('close', finish);
    socket.on('error', finish);
  });
}

const startOf = (node: Gateway, from: string) => node.waitForAuditEvent((e) => e.type === 'session.start' && typeof e.src === 'string' && e.src.startsWith(`${from}:`), 15_000);

describe('two nodes on one PostgreSQL behind HAProxy', () => {
  const c = suiteFixture(startCluster);

  test('sessions through HAProxy spread over both nodes, which see the client\'s own address', { timeout: 60_000 }, async () => {
    const viaLb = c.alice(c.haproxy.ports[0], '127.0.0.5');
    for (let i = 0; i < 4; i++) {
      const r = await viaLb.run(['-J', 'gate', `${osLogin}@db1`, 'echo through-the-balancer']);
      assert.equal(r.code, 0, describeRun(r));
      assert.match(r.stdout, /^through-the-balancer$/m);
    }
    const jumps = (await sessions(c.b, true)).filter((s) => s.kind === 'jump' && s.src.startsWith('127.0.0.5:'));
    assert.equal(jumps.length, 4, JSON.stringify(jumps));
    assert.deepEqual([...new Set(jumps.map((s) => s.node))].sort(), ['a', 'b'], 'both nodes served');
    // The address in the trail is the client's (from the PROXY header), not HAProxy's.
    const logins = [...c.a.auditEvents(), ...c.b.auditEvents()].filter((e) => e.type === 'auth.success' && e.user === 'alice');
    assert.ok(logins.length >= 4 && logins.every((e) => String(e.src).startsWith('127.0.0.5:')), JSON.stringify(logins.map((e) => e.src)));

    const nodes = await c.b.jumpgate(['nodes']);
    assert.equal(nodes.code, 0, describeRun(nodes));
    assert.match(nodes.stdout, /^NAME\s+ADDRESS\s+VERSION\s+STATE\s+LAST HEARTBEAT\s+SESSIONS$/m);
    assert.match(nodes.stdout, /^a\s+127\.0\.0\.1:\d+\s+\S+\s+up\s/m);
    assert.match(nodes.stdout, /^b\s+127\.0\.0\.1:\d+\s+\S+\s+up\s/m);
  });

  test('a PROXY header from an address that is not a trusted proxy is refused; plain SSH from there works', { timeout: 60_000 }, async () => {
    const untrusted = await c.alice(c.haproxy.ports[1], '127.0.0.6').run(['-J', 'gate', `${osLogin}@db1`, 'true']);
    assert.equal(untrusted.code, 255, describeRun(untrusted));
    assert.match(c.a.stderrText(), /a PROXY header from an address not in ssh\.proxyProtocol\.trustedProxies; closed src=127\.0\.0\.13:/);
    // The positive control: the same client straight to the node, without a proxy.
    const direct = await c.alice(c.a.port, '127.0.0.6').run(['-J', 'gate', `${osLogin}@db1`, 'echo direct']);
    assert.equal(direct.code, 0, describeRun(direct));
    // And the proxy itself must speak PROXY: a trusted address without a header is closed unheard.
    assert.equal(await firstBytes(c.b.port, '127.0.0.1'), '');
    assert.match(await firstBytes(c.b.port, '127.0.0.6'), /^SSH-2\.0-/);
  });

  test('five failures through node A ban the address on node B at once', { timeout: 90_000 }, async () => {
    const stranger = c.stranger(c.a.port, '127.0.0.7');
    for (let i = 1; i <= 5; i++) {
      const r = await stranger.run(['gate']);
      assert.equal(r.code, 255, `attempt ${i}\n${describeRun(r)}`);
      assert.match(r.stderr, /Permission denied/, `attempt ${i}\n${describeRun(r)}`);
    }
    await c.a.waitForAuditEvent((e) => e.type === 'ban.add' && e.address === '127.0.0.7');
    // Node B never saw a failure from there, yet closes it before the banner, direct or through HAProxy.
    // Closed before the SSH banner, with only the line that tells a banned client why.
    assert.match(await firstBytes(c.b.port, '127.0.0.7'), /^jumpgate: 127\.0\.0\.7 is banned until \S+ \(an operator can lift it: jumpgate unban 127\.0\.0\.7\)\r\n$/, 'node B let the banned address in');
    const viaLb = await c.alice(c.haproxy.ports[0], '127.0.0.7').run(['gate']);
    assert.equal(viaLb.code, 255, describeRun(viaLb));
    assert.doesNotMatch(allOutput(viaLb), /Permission denied/, 'the banned address reached authentication');
    assert.match(await firstBytes(c.b.port, '127.0.0.8'), /^SSH-2\.0-/, 'another address is served');
    const bans = await c.b.jumpgate(['bans']);
    assert.match(bans.stdout, /^127\.0\.0\.7\s/m, describeRun(bans));
  });

  test('five failures spread by HAProxy over both nodes ban the address: the nodes count together', { timeout: 90_000 }, async () => {
    const stranger = c.stranger(c.haproxy.ports[0], '127.0.0.15');
    for (let i = 1; i <= 5; i++) {
      const r = await stranger.run(['gate']);
      assert.equal(r.code, 255, `attempt ${i}\n${describeRun(r)}`);
    }
    const failuresOn = (node: Gateway) => node.auditEvents().filter((e) => e.type === 'auth.failure' && String(e.src).startsWith('127.0.0.15:')).length;
    const ban = await Promise.any([c.a, c.b].map((node) => node.waitForAuditEvent((e) => e.type === 'ban.add' && e.address === '127.0.0.15')));
    assert.equal(ban.address, '127.0.0.15');
    assert.ok(failuresOn(c.a) > 0 && failuresOn(c.b) > 0, `failures on A: ${failuresOn(c.a)}, on B: ${failuresOn(c.b)}`);
    assert.match(await firstBytes(c.a.port, '127.0.0.15'), /^jumpgate: 127\.0\.0\.15 is banned until /);
  });

  test('an alert rule counts the failures of both nodes and is raised once', { timeout: 90_000 }, async () => {
    const mallory = c.alice(c.haproxy.ports[0], '127.0.0.16', 'mallory');
    const alertsIn = () => [...c.a.auditEvents(), ...c.b.auditEvents()].filter((e) => e.type === 'alert' && e.name === 'mallory-tries');
    const failuresOn = (node: Gateway) => node.auditEvents().filter((e) => e.type === 'auth.failure' && e.user === 'mallory').length;
    for (let i = 1; i <= 3; i++) assert.equal((await mallory.run(['gate'])).code, 255, `attempt ${i}`);
    // Three failures are below the rule's count (the positive control is the fourth).
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.deepEqual(alertsIn(), [], 'raised before the fourth failure');
    assert.equal((await mallory.run(['gate'])).code, 255, 'attempt 4');
    const alert = await Promise.any([c.a, c.b].map((node) => node.waitForAuditEvent((e) => e.type === 'alert' && e.name === 'mallory-tries', 10_000)));
    assert.equal(alert.count, 4);
    assert.ok(failuresOn(c.a) > 0 && failuresOn(c.b) > 0, `failures on A: ${failuresOn(c.a)}, on B: ${failuresOn(c.b)}`);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(alertsIn().length, 1, 'raised once, by one node');
  });

  test('a key revoked with jumpgate ca revoke on node B is refused on node A at its next login', { timeout: 60_000 }, async () => {
    const dave = await makeKeyPair(c.a.workDir, 'dave', 'dave@laptop');
    await c.b.apply(`kind: User\nname: dave\nroles: []\nkeys:\n  - ${dave.publicKey}\n`);
    const daveOnA = makeSshClient({ dir: c.a.workDir, gateUser: 'dave', gatePort: c.a.port, gateKey: dave.privateKeyPath, gateConfig: ['BindAddress 127.0.0.14'] });
    // The positive control: dave logs in on A (and is told how to connect: there is no shell).
    await daveOnA.run(['gate']);
    await c.a.waitForAuditEvent((e) => e.type === 'auth.success' && e.user === 'dave');

    const revoke = await c.b.jumpgate(['ca', 'revoke', dave.publicKeyPath]);
    assert.equal(revoke.code, 0, describeRun(revoke));
    assert.match(revoke.stdout, new RegExp(`revoked ${dave.fingerprint.replace(/[+/]/g, '\\$&')}`));
    const refused = await daveOnA.run(['gate']);
    assert.equal(refused.code, 255, describeRun(refused));
    assert.match(refused.stderr, /Permission denied/, describeRun(refused));
    await c.a.waitForAuditEvent((e) => e.type === 'auth.failure' && e.user === 'dave' && /revoked/.test(String(e.reason)));
    const listed = await c.a.jumpgate(['ca', 'list']);
    assert.match(listed.stdout, new RegExp(`^revokedKeys\\s+${dave.fingerprint.replace(/[+/]/g, '\\$&')}\\s+\\(store\\)`, 'm'), describeRun(listed));
  });

  test('sessions on node B lists node A\'s sessions, and sessions kill on B ends one on A', { timeout: 60_000 }, async () => {
    const long = c.alice(c.a.port, '127.0.0.9').spawn(['-J', 'gate', `${osLogin}@db1`, 'sleep 60']);
    const start = await startOf(c.a, '127.0.0.9');
    const listed = (await sessions(c.b)).find((s) => s.id === start.session);
    assert.equal(listed?.node, 'a', JSON.stringify(listed));
    const text = await c.b.jumpgate(['sessions']);
    assert.match(text.stdout, new RegExp(`^${String(start.session)}\\s+a\\s+jump\\s+alice\\s+127\\.0\\.0\\.9:`, 'm'), describeRun(text));

    const kill = await c.b.jumpgate(['sessions', 'kill', String(start.session)]);
    assert.equal(kill.code, 0, describeRun(kill));
    assert.match(kill.stdout, new RegExp(`session ${String(start.session)} ended \\(killed\\)`));
    const exited = await long.exited;
    assert.notEqual(exited.code, 0, 'the killed ssh ended');
    await c.a.waitForAuditEvent((e) => e.type === 'session.end' && e.session === start.session && e.reason === 'killed');
  });

  test('a session recorded on node A replays from node B', { timeout: 60_000 }, async () => {
    const r = await c.alice(c.a.port, '127.0.0.10', 'alice+db1').run(['gate', 'echo recorded-on-node-a']);
    assert.equal(r.code, 0, describeRun(r));
    const end = await c.a.waitForAuditEvent((e) => e.type === 'session.end' && e.kind === 'session' && String(e.src).startsWith('127.0.0.10:'));
    assert.ok(end.recording, JSON.stringify(end));
    const replay = await c.b.jumpgate(['replay', String(end.session), '--speed', '100']);
    assert.equal(replay.code, 0, describeRun(replay));
    assert.match(replay.stdout, /recorded-on-node-a/);
    // The positive control for the refusal: a session nobody recorded.
    const none = await c.b.jumpgate(['replay', '0123456789abcdef']);
    assert.equal(none.code, 1, describeRun(none));
    assert.match(none.stderr, /no recording for session 0123456789abcdef/);
  });

  test('kill -9 of node A mid-session: B serves at once, A\'s sessions end as node_lost, the trail stays whole', { timeout: 120_000 }, async () => {
    const long = c.alice(c.a.port, '127.0.0.11').spawn(['-J', 'gate', `${osLogin}@db1`, 'sleep 60']);
    const start = await startOf(c.a, '127.0.0.11');
    process.kill(c.a.pid(), 'SIGKILL');
    const killedAt = Date.now();
    // Gone for good: a connection the kernel queued for A just before its death dies with it.
    while (c.a.isAlive()) await new Promise((resolve) => setTimeout(resolve, 10));

    const viaLb = c.alice(c.haproxy.ports[0], '127.0.0.12');
    for (let i = 0; i < 3; i++) {
      const began = Date.now();
      const r = await viaLb.run(['-J', 'gate', `${osLogin}@db1`, 'echo still-served']);
      assert.equal(r.code, 0, `attempt ${i + 1} after the kill\n${describeRun(r)}\nnode B:\n${c.b.stderrText().slice(-3000)}\nHAProxy: ${JSON.stringify(await c.haproxy.status())}`);
      if (i === 0) assert.ok(Date.now() - began < 2_000, `the first ssh -J after the kill took ${Date.now() - began} ms`);
    }

    const lostEnd = await c.b.waitForAuditEvent((e) => e.type === 'session.end' && e.session === start.session, DEAD_AFTER_MS + 10_000);
    assert.equal(lostEnd.reason, 'node_lost', JSON.stringify(lostEnd));
    const down = await c.b.waitForAuditEvent((e) => e.type === 'node.down' && e.name === 'a');
    assert.equal(down.reason, 'lost');
    assert.ok((down.sessions_lost as number) >= 1, JSON.stringify(down));
    const silentFor = Date.parse(lostEnd.ts) - Date.parse(String(down.last_heartbeat));
    assert.ok(silentFor <= DEAD_AFTER_MS + HEARTBEAT_MS, `ended ${silentFor} ms after A's last heartbeat (cluster.deadAfter ${DEAD_AFTER_MS} ms)`);
    assert.ok(Date.parse(lostEnd.ts) - killedAt <= DEAD_AFTER_MS + HEARTBEAT_MS, 'ended within cluster.deadAfter of the kill');
    assert.equal((await sessions(c.b, true)).find((s) => s.id === start.session)?.reason, 'node_lost');
    long.signal('SIGTERM');

    const nodes = JSON.parse((await c.b.jumpgate(['nodes', '-o', 'json'])).stdout) as Array<{ name: string; state: string }>;
    assert.deepEqual(nodes.map((n) => [n.name, n.state]), [['a', 'down (lost)'], ['b', 'up']]);

    // No event lost or duplicated: the store's chain holds each event once, each in the file of
    // the node that wrote it; every session started has exactly one end.
    const events = await storeEvents(c.b);
    const ids = events.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, 'an event is in the chain twice');
    const inFiles = [...c.a.auditEvents(), ...c.b.auditEvents()].map((e) => e.id);
    assert.deepEqual([...inFiles].sort(), [...ids].sort(), 'the nodes\' audit.log files together hold exactly the store\'s events');
    const started = events.filter((e) => e.type === 'session.start').map((e) => e.session);
    const ended = events.filter((e) => e.type === 'session.end').map((e) => e.session);
    assert.deepEqual([...ended].sort(), [...started].sort(), 'every session has exactly one end');

    for (const node of [c.b, c.a]) {
      const verify = await node.jumpgate(['audit', 'verify']);
      assert.equal(verify.code, 0, describeRun(verify));
      assert.match(verify.stdout, /^audit chain intact: /);
    }
    // From one place, every node's file (a copy of A's, as an auditor would fetch it) against the one chain.
    const both = await c.b.jumpgate(['audit', 'verify', '--node-file', `a=${c.a.auditLogPath()}`]);
    assert.equal(both.code, 0, describeRun(both));
    assert.match(both.stdout, /events of node b in 1 file\(s\); \d+ events of node a in 1 file\(s\), matching it/);
    const mislabelled = await c.b.jumpgate(['audit', 'verify', '--node-file', `b=${c.a.auditLogPath()}`]);
    assert.equal(mislabelled.code, 1, `node A's file passed as node B's\n${describeRun(mislabelled)}`);
  });
});
