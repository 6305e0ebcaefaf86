/**
 * Clients with compression on that vanish mid-stream (SIGKILL): OpenSSH doing ProxyJump,
 * -W, -L and -D, Dropbear's dbclient multihop, and paramiko. Each leaves the gateway a
 * compressed connection whose peer is gone while target data is still flowing into its
 * channel. The gateway must stay up, another user's session must go on, and every killed
 * session must get its `session.end`.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../helpers/ports.js';
import { runOk, spawnTracked, type TrackedProcess } from '../helpers/processes.js';
import { repoRoot } from '../helpers/paths.js';
import { makeSshClient, waitForLocalForward, type SshClient } from '../helpers/ssh-client.js';
import { startStreamServer, readAtLeast, type StreamServer } from '../helpers/stream-server.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { makeTempDir } from '../helpers/tmp.js';
import { vanish } from '../helpers/hostile-peer.js';
import { startWorld } from '../helpers/world.js';

const MiB = 1024 * 1024;
const COMPRESSED = /key exchange done .*compression=zlib@openssh\.com/g;

/** A SOCKS5 CONNECT (RFC 1928) to host:port through `ssh -D` on localPort; resolves with the open socket. */
function socksConnect(localPort: number, host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: localPort });
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('SOCKS handshake timed out')); }, 15_000);
    let stage: 'method' | 'reply' = 'method';
    let buffer = Buffer.alloc(0);
    socket.on('error', (error) => { clearTimeout(timer); reject(error); });
    socket.on('connect', () => socket.write(Buffer.from([5, 1, 0])));
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      if (stage === 'method' && buffer.length >= 2) {
        buffer = buffer.subarray(2);
        stage = 'reply';
        const name = Buffer.from(host);
        const portBytes = Buffer.alloc(2);
        portBytes.writeUInt16BE(port);
        socket.write(Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), name, portBytes]));
      }
      // The reply to a CONNECT with a bound IPv4 address is 10 bytes.
      if (stage === 'reply' && buffer.length >= 10) {
        clearTimeout(timer);
        socket.removeListener('data', onData);
        socket.pause();
        if (buffer[1] !== 0) return reject(new Error(`SOCKS CONNECT refused (reply ${buffer[1]})`));
        if (buffer.length > 10) socket.unshift(buffer.subarray(10));
        resolve(socket);
      }
    };
    socket.on('data', onData);
  });
}

describe('clients with compression on that vanish mid-stream', () => {
  let firehose: StreamServer;
  let alice: SshClient;
  let bobSession: TrackedProcess;
  let pings = 0;

  before(async () => {
    firehose = await startStreamServer();
  });

  const w = suiteFixture(async () => {
    const world = await startWorld({ forwardPorts: [firehose.port], gatewayProcess: { env: { JUMPGATE_LOG_LEVEL: 'debug' } } });
    // bob gets the same grant: his session is the one that must go on.
    await world.gateway.apply(world.resources.replace(/name: bob\nroles: \[\]/, 'name: bob\nroles: [ops]'));
    return world;
  });

  after(async () => {
    await firehose?.stop();
  });

  before(async () => {
    alice = makeSshClient({
      dir: w.gateway.workDir, gateUser: 'alice', gatePort: w.gateway.port,
      gateKey: w.keys.alice.privateKeyPath, targetKey: w.keys.alice.privateKeyPath, gateConfig: ['Compression yes'],
    });
    // Another user's interactive session through the same gateway, for the whole suite.
    bobSession = w.bob.spawn(['-J', 'gate', `${w.login}@db1`, 'cat'], { keepStdinOpen: true });
    await bobAnswers();
  });

  /** bob's session echoes a fresh line: it is alive and relaying. */
  async function bobAnswers(): Promise<void> {
    pings += 1;
    const line = `ping ${pings}`;
    bobSession.child.stdin?.write(`${line}\n`);
    const deadline = Date.now() + 15_000;
    while (!bobSession.stdout().includes(line)) {
      assert.ok(bobSession.isAlive(), `bob's session ended:\n${bobSession.stderr()}`);
      assert.ok(Date.now() < deadline, `bob's session did not echo "${line}"; stdout:\n${bobSession.stdout()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Runs `streamAndVanish` (which kills a client mid-stream) and checks the aftermath: the
   * client negotiated compression, the gateway lives, bob's session answers, and alice's
   * session got its session.end.
   */
  async function survives(streamAndVanish: () => Promise<void>): Promise<void> {
    const mark = w.gateway.auditEvents().length;
    const compressedBefore = w.gateway.stderrText().match(COMPRESSED)?.length ?? 0;
    await streamAndVanish();
    assert.ok((w.gateway.stderrText().match(COMPRESSED)?.length ?? 0) > compressedBefore, 'the client did not negotiate zlib@openssh.com');
    const end = await w.gateway.waitForAuditEvent((e, i) => i >= mark && e.type === 'session.end' && e.user === 'alice', 15_000);
    assert.ok(end.reason === 'closed' || end.reason === 'error', `session.end reason ${String(end.reason)}`);
    assert.ok(w.gateway.isAlive(), `the gateway died:\n${w.gateway.stderrText().slice(-3000)}`);
    await bobAnswers();
  }

  test('OpenSSH ProxyJump (ssh -J) killed while the target streams', { timeout: 60_000 }, async () => {
    await survives(async () => {
      const ssh = alice.spawn(['-J', 'gate', `${w.login}@db1`, 'yes'], { keepStdinOpen: true });
      await readAtLeast(ssh.child.stdout!, MiB);
      await vanish(ssh);
    });
  });

  test('OpenSSH ssh -W killed while the target streams', { timeout: 60_000 }, async () => {
    await survives(async () => {
      const ssh = alice.spawn(['-W', `db1:${firehose.port}`, 'gate'], { keepStdinOpen: true });
      await readAtLeast(ssh.child.stdout!, MiB);
      await vanish(ssh);
    });
  });

  test('OpenSSH ssh -L killed while a forwarded connection streams', { timeout: 60_000 }, async () => {
    const localPort = await freePort();
    await survives(async () => {
      const ssh = alice.spawn(['-N', '-o', 'ExitOnForwardFailure=yes', '-L', `127.0.0.1:${localPort}:db1:${firehose.port}`, 'gate']);
      await waitForLocalForward(ssh, localPort, 15_000);
      const socket = net.connect({ host: '127.0.0.1', port: localPort });
      socket.on('error', () => {});
      try {
        await readAtLeast(socket, MiB);
        await vanish(ssh);
      } finally {
        socket.destroy();
      }
    });
  });

  test('OpenSSH ssh -D killed while a SOCKS connection streams', { timeout: 60_000 }, async () => {
    const localPort = await freePort();
    await survives(async () => {
      const ssh = alice.spawn(['-N', '-D', `127.0.0.1:${localPort}`, 'gate']);
      await waitForLocalForward(ssh, localPort, 15_000);
      const socket = await socksConnect(localPort, 'db1', firehose.port);
      socket.on('error', () => {});
      try {
        await readAtLeast(socket, MiB);
        await vanish(ssh);
      } finally {
        socket.destroy();
      }
    });
  });

  test("Dropbear's dbclient multihop killed while the target streams", { timeout: 60_000 }, async () => {
    // dbclient reads its own key format; HOME keeps its known_hosts out of the real one.
    const key = `${w.keys.alice.privateKeyPath}.dropbear`;
    await runOk('dropbearconvert', ['openssh', 'dropbear', w.keys.alice.privateKeyPath, key]);
    const home = makeTempDir('dbclient-home');
    await survives(async () => {
      // The full path: dbclient runs itself again for the first hop, by its argv[0].
      const dbclient = spawnTracked('/usr/bin/dbclient', ['-y', '-y', '-i', key, `alice@127.0.0.1/${w.gateway.port},${w.login}@db1`, 'yes'], {
        env: { ...process.env, HOME: home }, keepStdinOpen: true,
      });
      await readAtLeast(dbclient.child.stdout!, MiB);
      await vanish(dbclient);
    });
  });

  test('paramiko opens a direct-tcpip channel and vanishes', { timeout: 60_000 }, async () => {
    const script = path.join(repoRoot, 'test', 'e2e', 'clients', 'paramiko-vanish.py');
    await survives(async () => {
      const python = spawnTracked('/usr/bin/python3', [script, String(w.gateway.port), 'alice', w.keys.alice.privateKeyPath, 'db1', String(firehose.port), String(MiB)]);
      const result = await python.exited;
      assert.equal(result.signal, 'SIGKILL', `paramiko did not reach the stream:\n${result.stdout}\n${result.stderr}`);
      assert.match(result.stdout, /streaming \d+ bytes, compression zlib@openssh\.com/);
    });
  });

  test("bob's session ran through all of it and ends cleanly", { timeout: 30_000 }, async () => {
    await bobAnswers();
    bobSession.child.stdin?.end();
    const result = await bobSession.exited;
    assert.equal(result.code, 0, result.stderr);
    for (let i = 1; i <= pings; i++) assert.match(result.stdout, new RegExp(`^ping ${i}$`, 'm'));
    // Every session alice started (all killed) was recorded as ended.
    const events = w.gateway.auditEvents();
    const started = events.filter((e) => e.type === 'session.start' && e.user === 'alice').map((e) => e.session);
    const ended = new Set(events.filter((e) => e.type === 'session.end' && e.user === 'alice').map((e) => e.session));
    // Six killed clients (waiting for a forward to listen opens one more channel).
    assert.ok(started.length >= 6, `alice started ${started.length} sessions`);
    for (const id of started) assert.ok(ended.has(id), `session ${String(id)} has no session.end`);
  });
});
