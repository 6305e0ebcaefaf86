/**
 * The door holds under fire: legitimate users move their bytes through ProxyJump, uploads
 * and proxied sessions while, at the same moment, strangers send garbage and hang up
 * mid-handshake, an authenticated user opens hundreds of channels and stops reading a stream
 * after granting a 4 GiB window, another vanishes with compression on, and a jump host dies
 * under a live session. Afterwards every legitimate client got every byte, the gateway is
 * alive with its memory back near where it started, every session has its `session.end`,
 * and `jumpgate audit verify` passes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { describe, test } from 'node:test';
import { startGateway, type AuditEvent, type Gateway } from '../helpers/gateway.js';
import { forwardOut, openHugeWindow, rawClient, rssOf, vanish } from '../helpers/hostile-peer.js';
import { makeKeyPair, type KeyPair } from '../helpers/keys.js';
import { run } from '../helpers/processes.js';
import { describeRun, makeSshClient, type SshClient } from '../helpers/ssh-client.js';
import { osLogin, startSshd, type Sshd } from '../helpers/sshd.js';
import { readAtLeast, startStreamServer, type StreamServer } from '../helpers/stream-server.js';

const MiB = 1024 * 1024;
/** How far above its starting point the gateway's memory may stay once the storm is over. */
const RSS_SETTLED_BOUND = 64 * MiB;
const LEGIT_USERS = ['ann', 'ben', 'cat', 'dan'] as const;

interface Cast {
  gateway: Gateway;
  db1: Sshd;
  db2: Sshd;
  hop1: Sshd;
  firehose: StreamServer;
  keys: Record<string, KeyPair>;
  client(user: string, bindAddress: string, extra?: string[]): SshClient;
  stop(): Promise<void>;
}

async function startCast(): Promise<Cast> {
  const gateway = await startGateway();
  const dir = gateway.workDir;
  const names = [...LEGIT_USERS, 'mallory', 'eve', 'carol', 'db-key', 'hop-key'];
  const keys = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await makeKeyPair(dir, name)] as const)));
  const db1 = await startSshd({ authorizedKeys: [...LEGIT_USERS, 'mallory', 'eve', 'db-key'].map((n) => keys[n].publicKey) });
  const db2 = await startSshd({ authorizedKeys: [keys.carol.publicKey] });
  const hop1 = await startSshd({ authorizedKeys: [keys['hop-key'].publicKey] });
  const firehose = await startStreamServer();
  const user = (name: string, role: string) => `kind: User\nname: ${name}\nroles: [${role}]\nkeys:\n  - ${keys[name].publicKey}\n`;
  await gateway.apply([
    `kind: Credential\nname: db-key\ntype: privateKey\nsecretFile: ./db-key\n`,
    `kind: Credential\nname: hop-key\ntype: privateKey\nsecretFile: ./hop-key\n`,
    ...LEGIT_USERS.map((name) => user(name, 'work')),
    user('mallory', 'work'),
    user('eve', 'work'),
    user('carol', 'chain'),
    `kind: Target\nname: db1\nhost: 127.0.0.1\nport: ${db1.port}\nlogin: ${osLogin}\ncredential: db-key\n`,
    `kind: Target\nname: hop1\nhost: 127.0.0.1\nport: ${hop1.port}\nlogin: ${osLogin}\ncredential: hop-key\n`,
    `kind: Target\nname: db2\nhost: 127.0.0.1\nport: ${db2.port}\nvia: hop1\nlogin: ${osLogin}\n`,
    `kind: Role\nname: work\nallow:\n  - targets: [db1]\n    access: [jump, forward, session, sftp]\n    ports: [22, ${firehose.port}]\n    logins: [${osLogin}]\n`,
    `kind: Role\nname: chain\nallow:\n  - targets: [db2]\n    access: [jump]\n`,
  ].join('---\n'));
  return {
    gateway, db1, db2, hop1, firehose, keys,
    // Each client from its own loopback address: the per-source limits judge each alone.
    client: (name, bindAddress, extra = []) => makeSshClient({
      dir, gateUser: name, gatePort: gateway.port, gateKey: keys[name].privateKeyPath, gateLogLevel: 'ERROR',
      gateConfig: [`BindAddress ${bindAddress}`, ...extra],
    }),
    stop: async () => {
      try {
        await gateway.stop();
      } finally {
        await Promise.all([db1.stop(), db2.stop(), hop1.stop(), firehose.stop()]);
      }
    },
  };
}

/** `ssh -F config -J gate LOGIN@db1 …` inside `sh -c`, so the bytes are counted without the test holding them. */
function shell(client: SshClient, pipeline: (ssh: string) => string): Promise<{ code: number | null; stdout: string; stderr: string; signal: NodeJS.Signals | null; timedOut: boolean }> {
  return run('sh', ['-c', pipeline(`ssh -F ${client.configFile}`)], { timeoutMs: 150_000 });
}

/** A TCP connection from `localAddress` that `act` abuses; resolves once it is closed (bounded). */
function strangerConnection(port: number, localAddress: string, act: (socket: net.Socket) => void): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on('error', () => {});
    socket.on('close', () => { clearTimeout(timer); resolve(); });
    socket.resume();
    socket.once('connect', () => act(socket));
  });
}

async function liveSessions(gateway: Gateway): Promise<unknown[]> {
  const r = await gateway.jumpgate(['sessions', '-o', 'json']);
  assert.equal(r.code, 0, describeRun(r));
  return JSON.parse(r.stdout) as unknown[];
}

describe('chaos', () => {
  test('legitimate work gets through while hostile clients do their worst, and nothing is left behind', { timeout: 300_000 }, async (t) => {
    const cast = await startCast();
    try {
      const { gateway, firehose } = cast;
      const legit = Object.fromEntries(LEGIT_USERS.map((name, i) => [name, cast.client(name, `127.0.0.${11 + i}`)]));

      // Warm up (the first handshakes load code and keys), then take the baseline.
      const warm = await shell(legit.ann, (ssh) => `${ssh} -J gate ${osLogin}@db1 'head -c ${4 * MiB} /dev/zero' | wc -c`);
      assert.equal(warm.stdout.trim(), String(4 * MiB), describeRun(warm));
      await new Promise((r) => setTimeout(r, 1_000));
      const baseline = rssOf(gateway.pid());

      // mallory's stalled stream: a 4 GiB window granted, then not one byte read until the end.
      const staller = await rawClient(gateway.port, 'mallory', fs.readFileSync(cast.keys.mallory.privateKeyPath), '127.0.0.68');
      const stalled = await forwardOut(staller.client, 'db1', firehose.port);
      openHugeWindow(staller.client, stalled);
      staller.sock.pause();

      const legitWork = [
        ...(['ann', 'ben', 'cat'] as const).map(async (name) => {
          const r = await shell(legit[name], (ssh) => `${ssh} -J gate ${osLogin}@db1 'head -c ${24 * MiB} /dev/zero' | wc -c`);
          assert.equal(r.stdout.trim(), String(24 * MiB), `${name}'s ProxyJump download\n${describeRun(r)}`);
        }),
        (async () => {
          const r = await shell(legit.dan, (ssh) => `head -c ${16 * MiB} /dev/zero | ${ssh} -J gate ${osLogin}@db1 'wc -c'`);
          assert.equal(r.stdout.trim(), String(16 * MiB), `dan's ProxyJump upload\n${describeRun(r)}`);
        })(),
        ...(['ann', 'dan'] as const).map(async (name) => {
          const r = await shell(legit[name], (ssh) => `${ssh} -p ${gateway.port} ${name}+db1@127.0.0.1 'head -c ${8 * MiB} /dev/zero' | wc -c`);
          assert.equal(r.stdout.trim(), String(8 * MiB), `${name}'s proxied session\n${describeRun(r)}`);
        }),
      ];

      const hostileWork = [
        // Strangers: garbage instead of SSH, and handshakes dropped halfway.
        ...Array.from({ length: 20 }, () => strangerConnection(gateway.port, '127.0.0.66', (s) => s.end(randomBytes(16 * 1024)))),
        ...Array.from({ length: 20 }, (_, i) => strangerConnection(gateway.port, '127.0.0.67', (s) => {
          s.write('SSH-2.0-OpenSSH_9.2p1\r\n');
          if (i % 2 === 0) s.write(Buffer.from([0x00, 0x00, 0x04, 0x00, 0x0a, 0x14]));
          setTimeout(() => s.destroy(), 50);
        })),
        // mallory opens 300 channels at once on one connection, then hangs up.
        (async () => {
          const flood = await rawClient(gateway.port, 'mallory', fs.readFileSync(cast.keys.mallory.privateKeyPath), '127.0.0.69');
          const opened = await Promise.allSettled(Array.from({ length: 300 }, () => forwardOut(flood.client, 'db1', firehose.port)));
          const granted = opened.filter((o) => o.status === 'fulfilled').length;
          assert.ok(granted <= 10, `${granted} channels granted to one user (sessions.maxSessionsPerUser is 10)`);
          flood.client.end();
          flood.sock.destroy();
        })(),
        // eve, with compression on, vanishes mid-stream three times (mallory has used up her sessions).
        ...[0, 1, 2].map(async (i) => {
          const ssh = cast.client('eve', `127.0.0.${70 + i}`, ['Compression yes']).spawn(['-J', 'gate', `${osLogin}@db1`, 'yes'], { keepStdinOpen: true });
          try {
            await readAtLeast(ssh.child.stdout!, MiB);
          } finally {
            await vanish(ssh);
          }
        }),
        // carol's session runs through hop1, whose sshd then dies.
        (async () => {
          const mark = gateway.auditEvents().length;
          const carol = cast.client('carol', '127.0.0.80').spawn(['-J', 'gate', `${osLogin}@db2`, 'sleep 120'], { keepStdinOpen: true });
          await gateway.waitForAuditEvent((e, i) => i >= mark && e.type === 'session.start' && e.user === 'carol', 30_000);
          await cast.hop1.crash();
          await gateway.waitForAuditEvent((e, i) => i >= mark && e.type === 'session.end' && e.user === 'carol', 60_000);
          await vanish(carol);
        })(),
      ];

      const results = await Promise.allSettled([...legitWork, ...hostileWork]);
      const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [`#${i}: ${String(r.reason)}`] : []));
      assert.deepEqual(failures, [], 'every legitimate transfer completed and every hostile act ran');

      assert.ok(gateway.isAlive(), `the gateway died:\n${gateway.stderrText().slice(-3000)}`);
      assert.ok(firehose.sentBytes() > 0);
      staller.client.end();
      staller.sock.destroy();

      // Every session ends, and every start has its end.
      const deadline = Date.now() + 30_000;
      while ((await liveSessions(gateway)).length > 0) {
        assert.ok(Date.now() < deadline, `sessions still live: ${JSON.stringify(await liveSessions(gateway))}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      await new Promise((r) => setTimeout(r, 1_000));
      const events = gateway.auditEvents();
      const ended = new Set(events.filter((e) => e.type === 'session.end').map((e) => e.session));
      const unended = events.filter((e: AuditEvent) => e.type === 'session.start' && !ended.has(e.session));
      assert.deepEqual(unended.map((e) => `${String(e.user)} ${String(e.kind)} ${String(e.session)}`), [], 'session.start without session.end');

      // Memory comes back near where it started once the storm is over.
      let settled = rssOf(gateway.pid());
      for (const until = Date.now() + 30_000; settled > baseline + RSS_SETTLED_BOUND && Date.now() < until;) {
        await new Promise((r) => setTimeout(r, 1_000));
        settled = rssOf(gateway.pid());
      }
      t.diagnostic(`gateway RSS ${Math.round(baseline / MiB)} MiB before the storm, ${Math.round(settled / MiB)} MiB after`);
      assert.ok(settled <= baseline + RSS_SETTLED_BOUND, `RSS ${Math.round(settled / MiB)} MiB after the storm, ${Math.round(baseline / MiB)} MiB before`);

      const verify = await gateway.jumpgate(['audit', 'verify']);
      assert.equal(verify.code, 0, describeRun(verify));
      assert.doesNotMatch(gateway.stderrText(), /uncaught|unhandled/i);
      // Still serving: one more legitimate login after everything.
      const after = await legit.ben.run(['-J', 'gate', `${osLogin}@db1`, 'echo still-serving']);
      assert.match(after.stdout, /still-serving/, describeRun(after));
    } finally {
      await cast.stop();
    }
  });
});
