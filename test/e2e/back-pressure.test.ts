/**
 * A peer that advertises a huge channel window (RFC 4254 §5.2: WINDOW_ADJUST up to 2^32-1)
 * and then stops reading its socket must not make the gateway buffer the stream: the
 * gateway's memory stays bounded while the peer stalls, and once it reads again every byte
 * arrives. Both directions: a client that stops reading (ProxyJump, proxied session), and
 * a target that stops reading what a client uploads.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import ssh2, { type ClientChannel, type Connection, type ServerChannel } from 'ssh2';
import type { Gateway } from '../helpers/gateway.js';
import { exec, forwardOut, openHugeWindow, rawClient, rssOf } from '../helpers/hostile-peer.js';
import { osLogin } from '../helpers/sshd.js';
import { startStreamServer, type StreamServer } from '../helpers/stream-server.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { makeTempDir } from '../helpers/tmp.js';
import { proxiedTargetYaml, startProxiedWorld } from '../helpers/world.js';

const MiB = 1024 * 1024;
const STREAM_BYTES = 160 * MiB;
/** What the gateway may grow by while a peer stalls: a few channel windows and socket buffers, far below the stream. */
const RSS_GROWTH_BOUND = 64 * MiB;

/** Waits until `progress()` stops growing for `quietMs` (the pipeline stalled) or reaches `total`; returns the peak RSS seen meanwhile. */
async function stallAndMeasure(gateway: Gateway, progress: () => number, total: number, quietMs = 1_500, timeoutMs = 30_000): Promise<{ peakRss: number; progressed: number }> {
  let peakRss = 0;
  let last = -1;
  let quietSince = Date.now();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    peakRss = Math.max(peakRss, rssOf(gateway.pid()));
    const now = progress();
    if (now !== last) {
      last = now;
      quietSince = Date.now();
    }
    if (now >= total || Date.now() - quietSince >= quietMs || Date.now() > deadline) return { peakRss, progressed: now };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Reads a channel to its end; resolves with the byte count and SHA-256. */
function drain(channel: ClientChannel | ServerChannel): Promise<{ bytes: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    const timer = setTimeout(() => reject(new Error(`stream incomplete after 90 s: ${bytes} bytes`)), 90_000);
    channel.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    channel.once('end', () => {
      clearTimeout(timer);
      resolve({ bytes, sha256: hash.digest('hex') });
    });
  });
}

/**
 * A target that lets the gateway log in with any key and, for `exec`, grants a huge window,
 * then stops reading its socket until `resume()`; it hashes what arrives.
 */
interface SinkTarget {
  port: number;
  resume(): void;
  stalled: Promise<void>;
  received: Promise<{ bytes: number; sha256: string }>;
  stop(): Promise<void>;
}

async function startSinkTarget(): Promise<SinkTarget> {
  const hostKey = ssh2.utils.generateKeyPairSync('ed25519').private;
  const sockets = new Set<net.Socket>();
  let resumeSocket: () => void = () => {};
  let markStalled!: () => void;
  const stalled = new Promise<void>((resolve) => { markStalled = resolve; });
  let deliver!: (result: { bytes: number; sha256: string }) => void;
  const received = new Promise<{ bytes: number; sha256: string }>((resolve) => { deliver = resolve; });
  const server = new ssh2.Server({ hostKeys: [hostKey] }, (connection: Connection) => {
    connection.on('error', () => {});
    connection.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])));
    connection.on('ready', () => connection.on('session', (accept) => {
      accept().on('exec', (acceptExec) => {
        const channel = acceptExec();
        drain(channel).then((result) => {
          deliver(result);
          channel.exit(0);
          channel.end();
        }, () => channel.close());
        openHugeWindow(connection, channel);
        const socket = [...sockets].at(-1)!;
        socket.pause();
        resumeSocket = () => socket.resume();
        markStalled();
      });
    }));
  });
  const listener = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    server.injectSocket(socket);
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  return {
    port: (listener.address() as net.AddressInfo).port,
    resume: () => resumeSocket(),
    stalled,
    received,
    stop: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      listener.close(() => resolve());
    }),
  };
}

describe('a peer that opens a huge window and stops reading', () => {
  let firehose: StreamServer;
  let sink: SinkTarget;
  let fileSha256 = '';
  let file = '';

  before(async () => {
    firehose = await startStreamServer({ bytes: STREAM_BYTES });
    sink = await startSinkTarget();
    const dir = makeTempDir('back-pressure');
    file = path.join(dir, 'payload');
    const data = randomBytes(STREAM_BYTES);
    fs.writeFileSync(file, data);
    fileSha256 = createHash('sha256').update(data).digest('hex');
  });

  const w = suiteFixture(() => startProxiedWorld({
    extraYaml: ({ db1 }) => `kind: Target
name: stream
host: 127.0.0.1
port: ${db1.port}
---
${proxiedTargetYaml('sink', sink.port)}---
kind: Role
name: dba
allow:
  - targets: [db1, sink]
    access: [session]
    logins: [${osLogin}]
  - targets: [stream]
    access: [forward]
    ports: [${firehose.port}]
`,
  }));

  after(async () => {
    await firehose?.stop();
    await sink?.stop();
  });

  const aliceKey = () => fs.readFileSync(w.keys.alice.privateKeyPath);

  test('a client that stops reading a forwarded stream: bounded, then every byte', { timeout: 120_000 }, async () => {
    const { client, sock } = await rawClient(w.gateway.port, 'alice', aliceKey());
    try {
      const baseline = rssOf(w.gateway.pid());
      const channel = await forwardOut(client, 'stream', firehose.port);
      openHugeWindow(client, channel);
      sock.pause();
      const { peakRss, progressed } = await stallAndMeasure(w.gateway, () => firehose.sentBytes(), STREAM_BYTES);
      assert.ok(progressed < STREAM_BYTES, 'the target sent the whole stream while the client read nothing');
      assert.ok(peakRss - baseline < RSS_GROWTH_BOUND, `the gateway grew by ${Math.round((peakRss - baseline) / MiB)} MiB while the client read nothing`);

      const done = drain(channel);
      sock.resume();
      const got = await done;
      assert.equal(got.bytes, STREAM_BYTES);
      assert.equal(got.sha256, firehose.sha256);
    } finally {
      client.end();
    }
  });

  test('a client that stops reading a proxied session: bounded, then every byte', { timeout: 120_000 }, async () => {
    const { client, sock } = await rawClient(w.gateway.port, 'alice+db1', aliceKey());
    try {
      const baseline = rssOf(w.gateway.pid());
      const channel = await exec(client, `cat ${file}`);
      openHugeWindow(client, channel);
      sock.pause();
      // How far the target got: the bytes its `cat` read so far (all of them once it is gone).
      let catRead = 0;
      const catProgress = () => {
        const io = readCatIo(file);
        catRead = io === null ? (catRead > 0 ? STREAM_BYTES : 0) : Number(/^rchar:\s+(\d+)/m.exec(io)?.[1] ?? 0);
        return catRead;
      };
      const { peakRss, progressed } = await stallAndMeasure(w.gateway, catProgress, STREAM_BYTES);
      assert.ok(progressed < STREAM_BYTES, 'the target sent the whole file while the client read nothing');
      assert.ok(peakRss - baseline < RSS_GROWTH_BOUND, `the gateway grew by ${Math.round((peakRss - baseline) / MiB)} MiB while the client read nothing`);

      const done = drain(channel);
      sock.resume();
      const got = await done;
      assert.equal(got.bytes, STREAM_BYTES);
      assert.equal(got.sha256, fileSha256);
    } finally {
      client.end();
    }
  });

  test('a target that stops reading an upload: bounded, then every byte', { timeout: 120_000 }, async () => {
    const { client } = await rawClient(w.gateway.port, 'alice+sink', aliceKey());
    try {
      const baseline = rssOf(w.gateway.pid());
      const channel = await exec(client, 'upload');
      await sink.stalled;
      const payload = randomBytes(4 * MiB);
      const expected = createHash('sha256');
      let written = 0;
      // Writes with back-pressure, as any client does: the gateway decides how far it gets.
      const writing = (async () => {
        while (written < STREAM_BYTES) {
          expected.update(payload);
          written += payload.length;
          if (!channel.write(payload)) await new Promise((r) => channel.once('drain', r));
        }
        channel.end();
      })();
      const { peakRss, progressed } = await stallAndMeasure(w.gateway, () => written, STREAM_BYTES);
      assert.ok(progressed < STREAM_BYTES, 'the client could upload the whole stream while the target read nothing');
      assert.ok(peakRss - baseline < RSS_GROWTH_BOUND, `the gateway grew by ${Math.round((peakRss - baseline) / MiB)} MiB while the target read nothing`);

      sink.resume();
      await writing;
      const got = await sink.received;
      assert.equal(got.bytes, STREAM_BYTES);
      assert.equal(got.sha256, expected.digest('hex'));
    } finally {
      client.end();
    }
  });
});

/** /proc/PID/io of the `cat FILE` process the target runs (the file name is unique to this test). */
function readCatIo(file: string): string | null {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline === `cat\0${file}\0`) return fs.readFileSync(`/proc/${entry}/io`, 'utf8');
    } catch {
      /* gone meanwhile */
    }
  }
  return null;
}
