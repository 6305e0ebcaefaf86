/**
 * The limits that keep one user or one connection from starving everyone (SPEC §5):
 * pre-auth slots freed by authentication, `ssh.maxChannelsPerConnection`,
 * `sessions.maxSessionsPerUser` (every kind, checked atomically), and the reserve of open
 * files (new connections refused, established ones served).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import ssh2, { type ClientChannel } from 'ssh2';
import { settingsWith } from '../helpers/gateway.js';
import { freePort } from '../helpers/ports.js';
import { describeRun, waitForLocalForward } from '../helpers/ssh-client.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { osLogin } from '../helpers/sshd.js';
import { startStreamServer, type StreamServer } from '../helpers/stream-server.js';
import { echoRoundTrip, startEchoServer, type EchoServer } from '../helpers/tcp-echo.js';
import { startProxiedWorld, startWorld } from '../helpers/world.js';
import { readOpenFilesLimit } from '../../src/runtime/open-files.js';

/** An ssh2 client logged in to the gateway; the caller ends it. */
export async function connectClient(port: number, username: string, keyPath: string, options: { localAddress?: string } = {}): Promise<ssh2.Client> {
  const client = new ssh2.Client();
  client.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
    client.connect({ host: '127.0.0.1', port, username, privateKey: fs.readFileSync(keyPath), readyTimeout: 20_000, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
  });
  return client;
}

describe('each connection finds its own socket', () => {
  const w = suiteFixture(() => startWorld({ settings: settingsWith([[['ssh', 'maxStartups'], { total: 100, perSource: 2 }]]) }));

  test('authenticated connections leave maxStartups, so a source can hold more than perSource of them', { timeout: 60_000 }, async () => {
    const clients: ssh2.Client[] = [];
    try {
      // Three at once from one source against perSource 2: each frees its pre-auth slot.
      for (let i = 0; i < 3; i++) clients.push(await connectClient(w.gateway.port, 'alice', w.keys.alice.privateKeyPath, { localAddress: '127.0.0.9' }));
      assert.equal(clients.length, 3);
    } finally {
      for (const client of clients) client.end();
    }
  });

  test('the help without a target names the address the client connected to', { timeout: 30_000 }, async () => {
    const r = await w.alice.run(['gate']);
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stderr, new RegExp(`ssh -J alice@127\\.0\\.0\\.1:${w.gateway.port} LOGIN@db1`), describeRun(r));
  });
});

/** Opens a direct-tcpip channel; resolves with it, or with the open failure (reason code and text). */
function openForward(client: ssh2.Client, host: string, port: number): Promise<{ channel: ClientChannel } | { refused: { reason: number | string | undefined; message: string } }> {
  return new Promise((resolve) => {
    client.forwardOut('127.0.0.1', 0, host, port, (error, channel) => {
      if (error) resolve({ refused: { reason: (error as Error & { reason?: number | string }).reason, message: error.message } });
      else resolve({ channel });
    });
  });
}

/** Echoes a line through an open channel to the echo server. */
async function echoes(channel: ClientChannel): Promise<void> {
  const line = `hello ${Math.random()}\n`;
  const got = new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no echo within 10 s (got ${JSON.stringify(text)})`)), 10_000);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      if (text.includes(line)) {
        clearTimeout(timer);
        channel.removeListener('data', onData);
        resolve(text);
      }
    };
    channel.on('data', onData);
  });
  channel.write(line);
  await got;
}

/** Ends a channel and waits for its close (which ssh2 emits once what it holds is read). */
function closeChannel(channel: ClientChannel): Promise<void> {
  return new Promise((resolve) => {
    channel.once('close', () => resolve());
    channel.resume();
    channel.end();
  });
}

describe('ssh.maxChannelsPerConnection', () => {
  let echo: EchoServer;
  before(async () => {
    echo = await startEchoServer();
  });
  const w = suiteFixture(() => startWorld({ forwardPorts: [echo.port], settings: settingsWith([[['ssh', 'maxChannelsPerConnection'], 4]]) }));
  after(async () => {
    await echo?.stop();
  });

  test('ssh -L: the fifth connection at once is refused with a message naming the limit', { timeout: 60_000 }, async () => {
    const localPort = await freePort();
    const ssh = w.alice.spawn(['-N', '-o', 'ExitOnForwardFailure=yes', '-L', `127.0.0.1:${localPort}:db1:${echo.port}`, 'gate']);
    const sockets: net.Socket[] = [];
    try {
      await waitForLocalForward(ssh, localPort, 15_000);
      // The probe's own channel has ended before the four are opened.
      await w.gateway.waitForAuditEvent((e) => e.type === 'session.end' && e.user === 'alice', 10_000);
      const mark = w.gateway.auditEvents().length;
      for (let i = 0; i < 4; i++) sockets.push(await heldEcho(localPort));
      const fifth = net.connect({ host: '127.0.0.1', port: localPort });
      fifth.on('error', () => {});
      await new Promise((resolve) => fifth.once('close', resolve));
      const message = 'jumpgate: alice has 4 channels open on this connection, the most allowed (ssh.maxChannelsPerConnection)';
      await waitFor(() => ssh.stderr().includes(message), 10_000, `ssh did not print the refusal:\n${ssh.stderr()}`);
      assert.match(ssh.stderr(), /open failed: resource shortage: jumpgate: alice has 4 channels open/);
      const denied = await w.gateway.waitForAuditEvent((e, i) => i >= mark && e.type === 'access.denied' && e.user === 'alice');
      assert.match(String(denied.reason), /ssh\.maxChannelsPerConnection 4/);

      // Positive control: one closes, and a new one gets through.
      sockets.shift()!.destroy();
      await w.gateway.waitForAuditEvent((e, i) => i >= mark && e.type === 'session.end' && e.user === 'alice');
      const again = await echoRoundTrip('127.0.0.1', localPort, randomBytes(1024));
      assert.equal(again.receivedSha256, again.sentSha256);
    } finally {
      for (const socket of sockets) socket.destroy();
      await ssh.kill();
    }
  });

  test('channels given back on close: 40 opened and closed one by one, then 4 at once, and a session channel only once one closes', { timeout: 90_000 }, async () => {
    const client = await connectClient(w.gateway.port, 'alice', w.keys.alice.privateKeyPath);
    try {
      for (let i = 0; i < 40; i++) {
        const opened = await openForward(client, 'db1', echo.port);
        assert.ok('channel' in opened, `channel ${i} refused: ${'refused' in opened ? opened.refused.message : ''}`);
        await echoes(opened.channel);
        await closeChannel(opened.channel);
      }
      const four = await Promise.all(Array.from({ length: 4 }, () => openForward(client, 'db1', echo.port)));
      const open = four.flatMap((o) => ('channel' in o ? [o.channel] : []));
      assert.equal(open.length, 4, JSON.stringify(four.filter((o) => 'refused' in o)));

      // A session channel counts like any other (RFC 4254 §5.1 code 4, RESOURCE_SHORTAGE).
      const refused = await new Promise<Error & { reason?: unknown }>((resolve, reject) => client.exec('true', (error) => (error ? resolve(error) : reject(new Error('a fifth channel opened')))));
      assert.equal(refused.reason, 4);
      assert.match(refused.message, /jumpgate: alice has 4 channels open on this connection, the most allowed \(ssh\.maxChannelsPerConnection\)/);

      await closeChannel(open.shift()!);
      const session = await new Promise<ClientChannel>((resolve, reject) => client.exec('true', (error, channel) => (error ? reject(error) : resolve(channel))));
      session.resume();
      await new Promise((resolve) => session.once('close', resolve));
      for (const channel of open) await echoes(channel);
    } finally {
      client.end();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    assert.ok(Date.now() < deadline, message);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A connection to the forwarded echo port that echoed once and stays open (its channel too). */
async function heldEcho(localPort: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port: localPort });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no echo through the forward within 10 s')), 10_000);
    socket.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('close', () => reject(new Error('the forwarded connection closed')));
    socket.write('hello\n');
  });
  return socket;
}

type Kind = 'jump' | 'forward' | 'session' | 'sftp';
interface Attempt { kind: Kind; running: boolean; message: string; close(): Promise<void> }

/** A session channel that answers "started" (running) or prints the refusal on stderr and closes. */
function startProxied(client: ssh2.Client, kind: 'session' | 'sftp'): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const opened = (error: Error | undefined, channel: ClientChannel): void => {
      if (error) return reject(error);
      let stderr = '';
      channel.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
      const close = () => closeChannel(channel);
      // sftp: an SSH_FXP_INIT (version 3) is answered with SSH_FXP_VERSION by a running sftp-server.
      if (kind === 'sftp') channel.write(Buffer.from([0, 0, 0, 5, 1, 0, 0, 0, 3]));
      channel.once('data', () => resolve({ kind, running: true, message: '', close }));
      channel.once('close', () => resolve({ kind, running: false, message: stderr, close }));
    };
    if (kind === 'sftp') client.subsys('sftp', opened);
    else client.exec('echo started; sleep 60', opened);
  });
}

async function startForward(client: ssh2.Client, kind: 'jump' | 'forward', port: number): Promise<Attempt> {
  const opened = await openForward(client, 'db1', port);
  if ('refused' in opened) return { kind, running: false, message: `${String(opened.refused.reason)} ${opened.refused.message}`, close: async () => {} };
  // A running jump carries db1's SSH version line; a running forward echoes.
  if (kind === 'forward') await echoes(opened.channel);
  else await new Promise((resolve) => opened.channel.once('data', resolve));
  return { kind, running: true, message: '', close: () => closeChannel(opened.channel) };
}

describe('sessions.maxSessionsPerUser counts every kind, atomically', () => {
  let echo: EchoServer;
  before(async () => {
    echo = await startEchoServer();
  });
  const w = suiteFixture(() => startProxiedWorld({
    settings: settingsWith([[['sessions', 'maxSessionsPerUser'], 3]]),
    extraYaml: () => `kind: Role
name: dba
allow:
  - targets: [db1]
    access: [session, sftp, jump, forward]
    logins: [${osLogin}]
    ports: [22, ${echo.port}]
`,
  }));
  after(async () => {
    await echo?.stop();
  });

  test('twelve opens at once, three of each kind, against a limit of 3: exactly 3 run, the rest are told', { timeout: 120_000 }, async () => {
    const key = w.keys.alice.privateKeyPath;
    const kinds: Kind[] = ['jump', 'forward', 'session', 'sftp', 'jump', 'forward', 'session', 'sftp', 'jump', 'forward', 'session', 'sftp'];
    // One connection each, logged in one after the other (maxStartups.perSource counts logins under way).
    const clients: ssh2.Client[] = [];
    for (const kind of kinds) clients.push(await connectClient(w.gateway.port, kind === 'session' || kind === 'sftp' ? 'alice+db1' : 'alice', key));
    const mark = w.gateway.auditEvents().length;
    try {
      const attempts = await Promise.all(kinds.map((kind, i) => {
        const client = clients[i];
        return kind === 'session' || kind === 'sftp' ? startProxied(client, kind) : startForward(client, kind, kind === 'jump' ? 22 : echo.port);
      }));
      const running = attempts.filter((a) => a.running);
      assert.equal(running.length, 3, `running: ${running.map((a) => a.kind).join(', ')}`);
      const message = 'jumpgate: alice has 3 sessions open, the most allowed (sessions.maxSessionsPerUser)';
      for (const refused of attempts.filter((a) => !a.running)) {
        assert.ok(refused.message.includes(message), `${refused.kind} refused with: ${JSON.stringify(refused.message)}`);
        // A refused jump or forward is RFC 4254 §5.1 code 4, RESOURCE_SHORTAGE.
        if (refused.kind === 'jump' || refused.kind === 'forward') assert.match(refused.message, /^4 /);
      }
      // Refusals are noted after the client is told, so the last may land a moment later.
      const denials = () => w.gateway.auditEvents().slice(mark).filter((e) => e.type === 'access.denied' && /sessions\.maxSessionsPerUser 3/.test(String(e.reason))).length;
      await waitFor(() => denials() >= 9, 10_000, 'nine refusals were not audited');
      const events = w.gateway.auditEvents().slice(mark);
      assert.equal(events.filter((e) => e.type === 'session.start').length, 3);
      assert.equal(denials(), 9);

      // What a user of OpenSSH sees meanwhile.
      const r = await w.alice.run(['-p', String(w.gateway.port), 'alice+db1@127.0.0.1', 'true']);
      assert.equal(r.code, 1, describeRun(r));
      assert.ok(r.stderr.includes(message), describeRun(r));

      // Positive control: once the three end, a new session runs.
      await Promise.all(running.map((a) => a.close()));
      await waitFor(() => w.gateway.auditEvents().slice(mark).filter((e) => e.type === 'session.end').length >= 3, 15_000, 'the three sessions did not end');
      const ok = await w.alice.run(['-p', String(w.gateway.port), 'alice+db1@127.0.0.1', 'echo after']);
      assert.equal(ok.code, 0, describeRun(ok));
      assert.match(ok.stdout, /after/);
    } finally {
      for (const client of clients) client.end();
    }
  });
});

/** Opens a raw TCP connection and waits for the gateway's SSH banner ('banner', kept open) or a hang-up ('closed'). */
function bannerOrHangUp(port: number): Promise<{ outcome: 'banner' | 'closed'; socket: net.Socket }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    const timer = setTimeout(() => { socket.destroy(); }, 10_000);
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      resolve({ outcome: chunk.toString('latin1').startsWith('SSH-2.0-') ? 'banner' : 'closed', socket });
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ outcome: 'closed', socket });
    });
  });
}

describe('the open-files reserve', () => {
  let echo: EchoServer;
  before(async () => {
    echo = await startEchoServer();
  });
  const w = suiteFixture(() => startWorld({
    forwardPorts: [echo.port],
    settings: settingsWith([[['ssh', 'maxStartups'], { total: 1000, perSource: 1000 }], [['ssh', 'loginGraceTime'], '2m']]),
    gatewayProcess: { openFilesLimit: { soft: 64, hard: 160 } },
  }));
  after(async () => {
    await echo?.stop();
  });

  test('serve runs with its soft open-files limit at the hard limit, and says so', { timeout: 30_000 }, () => {
    assert.deepEqual(readOpenFilesLimit(w.gateway.pid()), { soft: 160, hard: 160 });
    assert.match(w.gateway.stderrText(), /open files limit 160\n/);
  });

  test('when descriptors run short new connections are refused before the banner, and established sessions go on', { timeout: 120_000 }, async () => {
    const alice = await connectClient(w.gateway.port, 'alice', w.keys.alice.privateKeyPath);
    const flood: net.Socket[] = [];
    try {
      const held = await openForward(alice, 'db1', echo.port);
      assert.ok('channel' in held);
      await echoes(held.channel);

      // Pre-auth connections, one at a time, until the gateway refuses one (a reserve of
      // 32 of 160: well before 160 connections).
      let refused = false;
      for (let i = 0; i < 160 && !refused; i++) {
        const { outcome, socket } = await bannerOrHangUp(w.gateway.port);
        if (outcome === 'banner') flood.push(socket);
        else refused = true;
      }
      assert.ok(refused, `all ${flood.length} connections were admitted`);
      assert.ok(flood.length > 20, `refused after only ${flood.length} connections`);
      assert.match(w.gateway.stderrText(), /open files running short \(\d+ of 160 in use\): new connections are refused while fewer than 32 are free/);
      assert.equal((await bannerOrHangUp(w.gateway.port)).outcome, 'closed', 'a new connection was admitted while short');

      // The established connection still opens channels (an upstream dial each) and its
      // sessions are audited.
      const mark = w.gateway.auditEvents().length;
      const more = await Promise.all([openForward(alice, 'db1', echo.port), openForward(alice, 'db1', echo.port)]);
      for (const opened of more) {
        assert.ok('channel' in opened, 'refused' in opened ? opened.refused.message : '');
        await echoes(opened.channel);
      }
      await echoes(held.channel);
      await w.gateway.waitForAuditEvent((e, i) => i >= mark && e.type === 'session.start' && e.user === 'alice');
      assert.ok(w.gateway.isAlive());

      // Positive control: once the flood is gone, new connections are admitted again.
      for (const socket of flood.splice(0)) socket.destroy();
      await new Promise((r) => setTimeout(r, 500));
      const after = await bannerOrHangUp(w.gateway.port);
      after.socket.destroy();
      assert.equal(after.outcome, 'banner');
      await waitFor(() => /open files available again/.test(w.gateway.stderrText()), 5_000, 'no log line when descriptors became available again');
      assert.equal((await w.alice.run(['-J', 'gate', `${w.login}@db1`, 'echo reached'])).code, 0);
    } finally {
      for (const socket of flood) socket.destroy();
      alice.end();
    }
  });
});

/** The inode of the TCP socket 127.0.0.1:localPort <-> 127.0.0.1:remotePort, from /proc/net/tcp (ports in hex). */
function tcpSocketInode(localPort: number, remotePort: number): string | null {
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1]?.endsWith(`:${hex(localPort)}`) && fields[2]?.endsWith(`:${hex(remotePort)}`)) return fields[9] ?? null;
  }
  return null;
}

/** Whether process `pid` still holds the socket with `inode` open. */
function holdsSocket(pid: number, inode: string): boolean {
  return fs.readdirSync(`/proc/${pid}/fd`).some((fd) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`;
    } catch {
      return false;
    }
  });
}

describe('connections whose client stops reading are released', () => {
  let firehose: StreamServer;
  before(async () => {
    firehose = await startStreamServer();
  });
  const w = suiteFixture(() => startWorld({ forwardPorts: [firehose.port], settings: settingsWith([[['ssh', 'keepaliveInterval'], '1s']]) }));
  after(async () => {
    await firehose?.stop();
  });

  /** Logs alice in over a socket the test holds, and returns the gateway's side of it. */
  async function stuckClient(): Promise<{ client: ssh2.Client; sock: net.Socket; inode: string }> {
    const sock = net.connect({ host: '127.0.0.1', port: w.gateway.port });
    await new Promise((resolve) => sock.once('connect', resolve));
    const client = new ssh2.Client();
    client.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.once('error', reject);
      client.connect({ sock, username: 'alice', privateKey: fs.readFileSync(w.keys.alice.privateKeyPath), readyTimeout: 20_000 });
    });
    const inode = tcpSocketInode(w.gateway.port, sock.localPort!);
    assert.ok(inode && holdsSocket(w.gateway.pid(), inode), 'the gateway holds no socket for the client');
    return { client, sock, inode };
  }

  test('a client that goes silent and never closes its side: the socket is released', { timeout: 60_000 }, async () => {
    const { client, sock, inode } = await stuckClient();
    try {
      sock.pause(); // reads nothing, answers no keepalive, sends no FIN
      await waitFor(() => !holdsSocket(w.gateway.pid(), inode), 30_000, 'the gateway still holds the socket of a client that went silent');
      assert.match(w.gateway.stderrText(), /closing an abandoned connection/);
    } finally {
      client.end();
      sock.destroy();
    }
  });

  test('a client that stops reading a stream: the socket is released although its queue never drains', { timeout: 60_000 }, async () => {
    const { client, sock, inode } = await stuckClient();
    try {
      const opened = await openForward(client, 'db1', firehose.port);
      assert.ok('channel' in opened);
      sock.pause();
      await waitFor(() => !holdsSocket(w.gateway.pid(), inode), 30_000, 'the gateway still holds the socket of a client that stopped reading');
      // Positive control: others are served.
      const r = await w.alice.run(['-J', 'gate', `${w.login}@db1`, 'echo reached']);
      assert.equal(r.code, 0, describeRun(r));
    } finally {
      client.end();
      sock.destroy();
    }
  });
});
