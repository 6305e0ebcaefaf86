/**
 * A jump chain through a real segmented network. Each machine is a Linux
 * network namespace with a real OpenSSH sshd:
 *
 *   ssh client (root ns) --veth--> gateway ns --> core-jump ns --> dmz-jump ns --> target ns (db1, echo)
 *
 * Every namespace reaches only its neighbours, so the only way from the
 * gateway to db1 is through core-jump and then dmz-jump, with the gateway
 * logging into each hop with that hop's own credential.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CHAIN_ADDRESSES, CHAIN_KEEPALIVE_SECONDS, ECHO_PORT, listSessions, startChainWorld, type ChainWorld, type SessionRow } from '../helpers/chain-world.js';
import { cleanupAll } from '../helpers/cleanup.js';
import { removeNamespaces, requireNetworkNamespaces, tcpProbe } from '../helpers/netns.js';
import { newKeyPair } from '../helpers/keys.js';
import { freePort } from '../helpers/ports.js';
import { run, type TrackedProcess } from '../helpers/processes.js';
import { describeRun, waitForLocalForward } from '../helpers/ssh-client.js';
import type { RunResult } from '../helpers/processes.js';
import { echoRoundTrip, sha256 } from '../helpers/tcp-echo.js';

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms\n${detail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a two-hop jump chain through network namespaces', () => {
  let w: ChainWorld | undefined;
  // Set up once; when that fails (no root, no iproute2) every test fails with
  // the reason instead of being skipped or cancelled.
  let setupError: unknown;

  before(async () => {
    try {
      await requireNetworkNamespaces();
      w = await startChainWorld();
    } catch (e) {
      setupError = e;
    }
  }, { timeout: 120_000 });

  after(async () => {
    try {
      await w?.stop();
    } finally {
      await cleanupAll();
      await removeNamespaces();
    }
  }, { timeout: 60_000 });

  const world = (): ChainWorld => {
    if (setupError !== undefined) throw setupError instanceof Error ? setupError : new Error('the chain world was not set up', { cause: setupError });
    assert.ok(w, 'the chain world was not set up');
    return w;
  };

  test('the network is segmented: each namespace reaches only its neighbours', { timeout: 60_000 }, async () => {
    const { ns, gateAddress, gateway } = world();
    const a = CHAIN_ADDRESSES;
    assert.equal(await tcpProbe('root', gateAddress, gateway.port), 'connected', 'the client reaches the gateway');
    assert.equal(await tcpProbe(ns.gw, a.coreJump, 22), 'connected', 'the gateway reaches core-jump');
    assert.equal(await tcpProbe(ns.core, a.dmzJump, 22), 'connected', 'core-jump reaches dmz-jump');
    assert.equal(await tcpProbe(ns.dmz, a.db1, 22), 'connected', 'dmz-jump reaches db1');
    assert.equal(await tcpProbe(ns.dmz, a.db1, ECHO_PORT), 'connected', 'dmz-jump reaches the echo service');

    for (const [from, host, port, label] of [
      [ns.gw, a.db1, 22, 'the gateway must not reach db1 directly'],
      [ns.gw, a.db1, ECHO_PORT, 'the gateway must not reach the echo service directly'],
      [ns.gw, a.dmzJump, 22, 'the gateway must not reach dmz-jump directly'],
      [ns.core, a.db1, 22, 'core-jump must not reach db1'],
    ] as const) {
      const result = await tcpProbe(from, host, port);
      assert.notEqual(result, 'connected', `${label} (${from.name} -> ${host}:${port})`);
    }
  });

  /** Starts `count` ssh -J sessions that print "ready" and then wait for a line on stdin. */
  async function openHeldSessions(count: number, waveSize: number): Promise<TrackedProcess[]> {
    const { alice, login } = world();
    const clients: TrackedProcess[] = [];
    try {
      for (let started = 0; started < count; started += waveSize) {
        const wave = Array.from({ length: Math.min(waveSize, count - started) }, () =>
          alice.spawn(['-J', 'gate', `${login}@db1`, 'echo ready; read line; echo bye'], { keepStdinOpen: true }),
        );
        clients.push(...wave);
        await waitFor('every session of the wave printed ready', () => wave.every((c) => c.stdout().includes('ready')), 45_000, () =>
          wave.filter((c) => !c.stdout().includes('ready')).map((c) => `alive=${c.isAlive()} stderr=${c.stderr()}`).join('\n'),
        );
      }
      return clients;
    } catch (e) {
      await Promise.all(clients.map((c) => c.kill()));
      throw e;
    }
  }

  /** Lets held sessions finish (a line on stdin) and checks each exited 0. */
  async function finishHeldSessions(clients: TrackedProcess[]): Promise<void> {
    for (const c of clients) c.child.stdin?.end('done\n');
    const results = await Promise.all(clients.map((c) => c.exited));
    for (const r of results) {
      assert.equal(r.code, 0, describeRun(r));
      assert.match(r.stdout, /bye/);
    }
  }

  const liveDb1Sessions = async (): Promise<SessionRow[]> =>
    (await listSessions(world().gateway)).filter((s) => s.target === 'db1' && s.endedAt === null);

  test('twenty ssh -J sessions at once share one upstream connection per hop', { timeout: 120_000 }, async () => {
    let clients: TrackedProcess[] = [];
    try {
      // Two waves of ten; the first starts all at once on a cold connection pool.
      clients = await openHeldSessions(20, 10);
      let rows: SessionRow[] = [];
      await waitFor('twenty live sessions listed', async () => (rows = await liveDb1Sessions()).length >= 20, 10_000, () =>
        JSON.stringify(rows, null, 2));
      assert.equal(rows.length, 20, JSON.stringify(rows, null, 2));
      for (const row of rows) assert.equal(row.kind, 'jump');

      const vias = new Set(rows.map((s) => s.via));
      assert.equal(vias.size, 1, `sessions should share one chain of hop connections, saw: ${[...vias].join(' | ')}`);
      const [via] = [...vias];
      assert.ok(via, 'a chained session has a via');
      assert.match(via, /^core-jump#\S+ > dmz-jump#\S+$/, `via names both hops in order: ${via}`);

      await finishHeldSessions(clients);
    } finally {
      await Promise.all(clients.map((c) => c.kill()));
    }
  });

  test('sessions through the chain are recorded as ended when their clients leave', { timeout: 120_000 }, async () => {
    const { gateway } = world();
    // Whatever earlier tests left behind is not this test's concern.
    const before = new Set((await liveDb1Sessions()).map((s) => s.id));
    let clients: TrackedProcess[] = [];
    try {
      clients = await openHeldSessions(10, 10);
      let mine: SessionRow[] = [];
      await waitFor('ten live sessions listed', async () =>
        (mine = (await liveDb1Sessions()).filter((s) => !before.has(s.id))).length >= 10, 10_000);
      assert.equal(mine.length, 10);
      await finishHeldSessions(clients);

      let stillLive: SessionRow[] = [];
      await waitFor('every session is recorded as ended', async () => {
        const live = new Set((await liveDb1Sessions()).map((s) => s.id));
        stillLive = mine.filter((s) => live.has(s.id));
        return stillLive.length === 0;
      }, 15_000, () => `${stillLive.length} of 10 sessions still listed as live after their clients exited 0:\n${JSON.stringify(stillLive, null, 2)}`);
      const ended = new Set(gateway.auditEvents().filter((e) => e.type === 'session.end').map((e) => e.session));
      for (const s of mine) assert.ok(ended.has(s.id), `no session.end audit event for session ${s.id}`);
    } finally {
      await Promise.all(clients.map((c) => c.kill()));
    }
  });

  test('ssh -J alice@gate db1 runs a command on the target, in the target\'s network', { timeout: 60_000 }, async () => {
    const { alice, login } = world();
    const r = await alice.run(['-J', 'gate', `${login}@db1`, 'echo hello-from-db1; ip -o -4 addr show'], { timeoutMs: 45_000 });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /^hello-from-db1$/m);
    // The command ran where db1's address lives: the target namespace.
    assert.ok(r.stdout.includes(`inet ${CHAIN_ADDRESSES.db1}/30`), `expected db1's address in:\n${r.stdout}`);
  });

  test('scp -J copies a file to the target and back byte for byte', { timeout: 90_000 }, async () => {
    const { alice, login, gateway } = world();
    const dir = gateway.workDir;
    const original = path.join(dir, 'payload.bin');
    const onTarget = path.join(dir, 'on-target.bin');
    const back = path.join(dir, 'back.bin');
    const payload = randomBytes(768 * 1024);
    fs.writeFileSync(original, payload);

    const up = await run('scp', ['-F', alice.configFile, '-q', '-J', 'gate', original, `${login}@db1:${onTarget}`], { timeoutMs: 45_000 });
    assert.equal(up.code, 0, describeRun(up));
    const down = await run('scp', ['-F', alice.configFile, '-q', '-J', 'gate', `${login}@db1:${onTarget}`, back], { timeoutMs: 45_000 });
    assert.equal(down.code, 0, describeRun(down));
    assert.equal(sha256(fs.readFileSync(back)), sha256(payload));
  });

  test('ssh -N -L reaches a TCP service in the target\'s namespace through both hops', { timeout: 60_000 }, async () => {
    const { alice } = world();
    const localPort = await freePort();
    const ssh = alice.spawn(['-N', '-o', 'ExitOnForwardFailure=yes', '-L', `127.0.0.1:${localPort}:db1:${ECHO_PORT}`, 'gate']);
    try {
      await waitForLocalForward(ssh, localPort, 20_000);
      const r = await echoRoundTrip('127.0.0.1', localPort, randomBytes(512 * 1024));
      assert.equal(r.receivedBytes, r.sentBytes);
      assert.equal(r.receivedSha256, r.sentSha256);
      assert.ok(ssh.isAlive(), `ssh -L exited early:\n${ssh.stderr()}`);
    } finally {
      await ssh.kill();
    }
  });

  test('jumpgate target test db1 reports each hop with its address and host key', { timeout: 60_000 }, async () => {
    const { gateway, coreJump, dmzJump, db1 } = world();
    const r = await gateway.jumpgate(['target', 'test', 'db1']);
    assert.equal(r.code, 0, describeRun(r));
    const a = CHAIN_ADDRESSES;
    const line = (name: string, address: string, fp: string): RegExp =>
      new RegExp(`^ok\\s+${name}\\s+${address.replace(/\./g, '\\.')}:22\\s+\\d+ ms\\s+${fp.replace(/[+/]/g, (c) => `\\${c}`)}`, 'm');
    assert.match(r.stdout, line('core-jump', a.coreJump, coreJump.hostKeyFingerprint));
    assert.match(r.stdout, line('dmz-jump', a.dmzJump, dmzJump.hostKeyFingerprint));
    assert.match(r.stdout, line('db1', a.db1, db1.hostKeyFingerprint));
  });
  // ---------------------------------------------------------------------------
  // A hop that dies. These run last: they crash, cut and re-key dmz-jump.

  /** `jumpgate: ...` as the OpenSSH client prints a refused channel, for assertion messages. */
  const jumpgateLine = (stderr: string): string => stderr.split('\n').find((l) => l.includes('jumpgate:')) ?? '(no jumpgate: line in stderr)';

  /**
   * One ssh -J session through both hops that prints "ready" and then waits; with no
   * keepalives of its own towards db1, so only the gateway can notice the path is gone.
   * Resolves with the client and the session's id in `jumpgate sessions`.
   */
  async function openWatchedSession(): Promise<{ client: TrackedProcess; id: string }> {
    const { alice, login } = world();
    const before = new Set((await liveDb1Sessions()).map((s) => s.id));
    const client = alice.spawn(['-o', 'ServerAliveInterval=0', '-J', 'gate', `${login}@db1`, 'echo ready; sleep 600']);
    try {
      await waitFor('the session printed ready', () => client.stdout().includes('ready'), 45_000, () => client.stderr());
      let mine: SessionRow[] = [];
      await waitFor('the session is listed', async () => (mine = (await liveDb1Sessions()).filter((s) => !before.has(s.id))).length === 1, 10_000);
      return { client, id: mine[0].id };
    } catch (e) {
      await client.kill();
      throw e;
    }
  }

  /** `ssh -J gate db1 echo WORD`, expecting it to work. */
  async function jumpWorks(word: string): Promise<void> {
    const { alice, login } = world();
    const r = await alice.run(['-J', 'gate', `${login}@db1`, `echo ${word}`], { timeoutMs: 45_000 });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, new RegExp(`^${word}$`, 'm'));
  }

  async function jumpRefused(): Promise<RunResult> {
    const { alice, login } = world();
    const r = await alice.run(['-J', 'gate', `${login}@db1`, 'echo should-not-run'], { timeoutMs: 45_000 });
    assert.notEqual(r.code, 0, describeRun(r));
    assert.doesNotMatch(r.stdout, /should-not-run/);
    return r;
  }

  test('when dmz-jump\'s sshd dies, its sessions end, requests name it, and it is dialed anew once back', { timeout: 180_000 }, async () => {
    const w = world();
    const { client, id } = await openWatchedSession();
    try {
      await w.crashDmzJump();
      // The session through the dead hop ends, and is recorded as ended.
      await w.gateway.waitForAuditEvent((e) => e.type === 'session.end' && e.session === id, 20_000);
      await waitFor('the client of the cut-off session exits', () => !client.isAlive(), 20_000, () => client.stderr());

      const refused = await jumpRefused();
      const expected = `jumpgate: db1 unreachable: hop dmz-jump ${CHAIN_ADDRESSES.dmzJump}:22 connection refused`;
      assert.ok(refused.stderr.includes(expected), `expected: ${expected}\nactual:   ${jumpgateLine(refused.stderr)}\n${describeRun(refused)}`);
    } finally {
      await client.kill();
    }
    await w.restartDmzJump();
    await jumpWorks('dmz-jump-is-back');
  });

  test('a silently cut link behind core-jump is noticed within the keepalive bound', { timeout: 180_000 }, async () => {
    const w = world();
    await jumpWorks('before-the-cut');
    const { client, id } = await openWatchedSession();
    try {
      await w.setCoreDmzLink('down');
      // Three unanswered keepalives and one more interval; the rest is slack for a loaded machine.
      const bound = CHAIN_KEEPALIVE_SECONDS * 4 * 1000;
      await w.gateway.waitForAuditEvent((e) => e.type === 'session.end' && e.session === id, bound + 12_000);
      await waitFor('the client of the cut-off session exits', () => !client.isAlive(), 20_000, () => client.stderr());

      const refused = await jumpRefused();
      assert.match(refused.stderr, new RegExp(`jumpgate: db1 unreachable: hop dmz-jump ${CHAIN_ADDRESSES.dmzJump.replace(/\./g, '\\.')}:22 `), describeRun(refused));
    } finally {
      await client.kill();
      await w.setCoreDmzLink('up');
    }
    await jumpWorks('after-the-cut');
  });

  test('after dmz-jump\'s host key changes, jumpgate target trust takes effect without restarting the gateway', { timeout: 180_000 }, async () => {
    const w = world();
    await jumpWorks('before-the-new-key');
    const oldKey = w.dmzJump.hostKeyFingerprint;
    const newKey = await newKeyPair('ssh_host_ed25519_key', 'dmz-jump-rebuilt');
    await w.crashDmzJump();
    await w.restartDmzJump(newKey);

    const refused = await jumpRefused();
    const expected = `jumpgate: db1 unreachable: hop dmz-jump ${CHAIN_ADDRESSES.dmzJump}:22 host key mismatch: expected ${oldKey}, presented ${newKey.fingerprint} (if the change is expected: jumpgate target trust dmz-jump)`;
    assert.ok(refused.stderr.includes(expected), `expected: ${expected}\nactual:   ${jumpgateLine(refused.stderr)}\n${describeRun(refused)}`);
    await w.gateway.waitForAuditEvent((e) => e.type === 'hostkey.mismatch' && e.hop === 'dmz-jump' && e.presented === newKey.fingerprint);

    const trust = await w.gateway.jumpgate(['target', 'trust', 'dmz-jump']);
    assert.equal(trust.code, 0, describeRun(trust));
    assert.ok(trust.stdout.includes(newKey.fingerprint), describeRun(trust));
    await jumpWorks('after-trust');
  });
});
