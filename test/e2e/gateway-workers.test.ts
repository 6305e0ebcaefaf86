/**
 * `ssh.workers: 2` (SPEC §10): two processes of one node share its SSH listener, on PostgreSQL
 * behind a real HAProxy and on SQLite alone. Which process holds each client connection is
 * read from the kernel (`ss -p`), as an operator would.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { settingsWith, startGateway, type Gateway } from '../helpers/gateway.js';
import { startHaproxy } from '../helpers/haproxy.js';
import { makeKeyPair } from '../helpers/keys.js';
import { describeRun, makeSshClient } from '../helpers/ssh-client.js';
import { osLogin, startSshd } from '../helpers/sshd.js';
import { run, type TrackedProcess } from '../helpers/processes.js';
import { cleanupAll } from '../helpers/cleanup.js';
import { worldResources } from '../helpers/world.js';

/** How many established connections on the gateway's port each process holds. */
async function connectionOwners(port: number): Promise<Map<number, number>> {
  const ss = await run('ss', ['-Htnp', 'state', 'established', `( sport = :${port} )`]);
  assert.equal(ss.code, 0, describeRun(ss));
  const owners = new Map<number, number>();
  for (const m of ss.stdout.matchAll(/pid=(\d+)/g)) owners.set(Number(m[1]), (owners.get(Number(m[1])) ?? 0) + 1);
  return owners;
}

async function twoWorkersServe(options: { store: 'sqlite' | 'postgres'; behindHaproxy: boolean; from: string }): Promise<void> {
  let gateway: Gateway | null = null;
  const held: TrackedProcess[] = [];
  try {
    gateway = await startGateway({
      store: options.store,
      settings: settingsWith([
        [['ssh', 'workers'], 2],
        [['http', 'listen'], ''],
        [['node'], 'w'],
        ...(options.behindHaproxy ? [[['ssh', 'proxyProtocol'], { trustedProxies: ['127.0.0.1/32'] }] as const] : []),
      ]),
    });
    const alice = await makeKeyPair(gateway.workDir, 'alice', 'alice@laptop');
    const bob = await makeKeyPair(gateway.workDir, 'bob', 'bob@laptop');
    const db1 = await startSshd({ authorizedKeys: [alice.publicKey] });
    await gateway.apply(worldResources({ alice: alice.publicKey, bob: bob.publicKey, db1Port: db1.port, login: osLogin }));
    let port = gateway.port;
    if (options.behindHaproxy) {
      const haproxy = await startHaproxy([{ source: '127.0.0.1', servers: [{ name: 'w', port: gateway.port }] }]);
      await haproxy.waitUntil(['gates0/w'], 'UP');
      port = haproxy.ports[0];
    }
    const client = makeSshClient({ dir: gateway.workDir, gateUser: 'alice', gatePort: port, gateKey: alice.privateKeyPath, gateConfig: [`BindAddress ${options.from}`] });

    for (let i = 0; i < 4; i++) held.push(client.spawn(['-J', 'gate', `${osLogin}@db1`, 'sleep 60']));
    const g = gateway;
    const deadline = Date.now() + 30_000;
    while (g.auditEvents().filter((e) => e.type === 'session.start' && String(e.src).startsWith(`${options.from}:`)).length < 4) {
      assert.ok(Date.now() < deadline, `four sessions did not start: ${held.map((p) => p.stderr()).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const owners = await connectionOwners(gateway.port);
    assert.equal(owners.size, 2, `connections held by ${[...owners.keys()].join(', ')}`);
    assert.ok(!owners.has(gateway.pid()), 'the primary itself held a connection');

    // One node to the store, whichever worker holds a session.
    const live = await gateway.jumpgate(['sessions', '-o', 'json']);
    const sessions = JSON.parse(live.stdout) as Array<{ node: string; src: string }>;
    assert.deepEqual(sessions.filter((s) => s.src.startsWith(`${options.from}:`)).map((s) => s.node), ['w', 'w', 'w', 'w']);
    // A worker dies: the sessions it held end, recorded by the node's first process; the others go on.
    const [victim, held2] = [...owners.entries()][0];
    process.kill(victim, 'SIGKILL');
    const lostEnds = () => g.auditEvents().filter((e) => e.type === 'session.end' && e.reason === 'error' && /worker process holding it died/.test(String(e.error)));
    while (lostEnds().length < held2) {
      assert.ok(Date.now() < deadline + 30_000, `the lost worker's ${held2} sessions were not ended: ${lostEnds().length}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const stillLive = JSON.parse((await gateway.jumpgate(['sessions', '-o', 'json'])).stdout) as Array<{ src: string }>;
    assert.equal(stillLive.filter((s) => s.src.startsWith(`${options.from}:`)).length, 4 - held2, 'the other worker\'s sessions are live');
    // A new ssh -J still completes (the other worker, or the one that took the lost one's place).
    const more = await client.run(['-J', 'gate', `${osLogin}@db1`, 'echo served']);
    assert.equal(more.code, 0, describeRun(more));

    for (const proc of held) await proc.kill();
    await gateway.stop();
    const verify = await gateway.jumpgate(['audit', 'verify']);
    assert.equal(verify.code, 0, describeRun(verify));
    const ends = gateway.auditEvents().filter((e) => e.type === 'session.end' && String(e.src).startsWith(`${options.from}:`));
    assert.equal(ends.length, 5, 'every session has its end');
  } finally {
    for (const proc of held) await proc.kill();
    if (gateway?.isAlive()) await gateway.terminate();
    await cleanupAll();
  }
}

describe('ssh.workers: 2', () => {
  test('on PostgreSQL behind HAProxy, two processes hold the connections of one node', { timeout: 120_000 }, () =>
    twoWorkersServe({ store: 'postgres', behindHaproxy: true, from: '127.0.0.5' }));

  test('on SQLite, two processes hold the connections of one node', { timeout: 120_000 }, () =>
    twoWorkersServe({ store: 'sqlite', behindHaproxy: false, from: '127.0.0.6' }));
});
