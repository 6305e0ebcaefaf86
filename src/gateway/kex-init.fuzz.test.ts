/**
 * The key exchange init values are the first structured bytes a stranger sends (RFC 4253
 * §7.1): KEXINIT name-lists, first_kex_packet_follows, the ECDH/ML-KEM client value, and
 * whatever other packet a client sends before authenticating. They are fed to an ssh2
 * server configured exactly as the gateway's (`sshServerConfig`: algorithms, compression,
 * the patched key exchanges). Properties: the process never crashes; a connection whose
 * input is malformed (a broken packet or name-list, no algorithm in common) is closed by
 * the server; anything else is either closed or still in the key exchange, never
 * authenticated; and a normal client still logs in afterwards.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fc from 'fast-check';
import ssh2, { type Connection } from 'ssh2';
import { fuzz, fuzzTimeoutMs } from '../../test/helpers/fuzz.js';
import { sshString } from '../../test/helpers/raw-kex.js';
import { SettingsSchema } from '../config/settings-schema.js';
import { GATEWAY_COMPRESSION, sshServerConfig } from './gateway.js';
import { MODERN } from './algorithms.js';

const MSG_KEXINIT = 20;
const MSG_KEX_ECDH_INIT = 30;

const hostKey = ssh2.utils.generateKeyPairSync('ed25519');
const userKey = ssh2.utils.generateKeyPairSync('ed25519');
const parsedUserKey = ssh2.utils.parseKey(userKey.public);
if (parsedUserKey instanceof Error) throw parsedUserKey;
const userPublicBlob = parsedUserKey.getPublicSSH();

let server: ssh2.Server;
let port = 0;
let authenticated = 0;

before(async () => {
  server = new ssh2.Server(sshServerConfig(SettingsSchema.parse({}), [Buffer.from(hostKey.private)]), (connection: Connection) => {
    // As the gateway's connection handler: errors are the client's problem, logged, not thrown.
    connection.on('error', () => {});
    connection.on('authentication', (ctx) => {
      if (ctx.method === 'publickey' && ctx.key.data.equals(userPublicBlob)) return ctx.accept();
      ctx.reject(['publickey']);
    });
    connection.on('ready', () => {
      authenticated += 1;
      connection.on('session', (accept) => accept().on('exec', (acceptExec, _reject, info) => {
        const channel = acceptExec();
        channel.end(`ok:${info.command}`);
        channel.exit(0);
      }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** An unencrypted binary packet (RFC 4253 §6), optionally with a lying length or padding. */
function packet(payload: Buffer, lie?: { length?: number; padding?: number }): Buffer {
  let padding = 8 - ((5 + payload.length) % 8);
  if (padding < 4) padding += 8;
  const head = Buffer.alloc(5);
  head.writeUInt32BE(lie?.length ?? 1 + payload.length + padding);
  head[4] = lie?.padding ?? padding;
  return Buffer.concat([head, payload, Buffer.alloc(padding)]);
}

const realNames = [...MODERN.kex, ...MODERN.ciphers, ...MODERN.macs, ...MODERN.hostKeys, ...GATEWAY_COMPRESSION, 'zlib', 'ext-info-c', 'kex-strict-c-v00@openssh.com', 'diffie-hellman-group1-sha1', 'ssh-rsa'];

/** A name-list: real names in any order, made-up names, or any bytes at all (commas, NULs, invalid UTF-8). */
const nameList = fc.oneof(
  fc.array(fc.constantFrom(...realNames), { maxLength: 8 }).map((names) => Buffer.from(names.join(','))),
  fc.array(fc.stringMatching(/^[a-z0-9@.+-]{0,30}$/), { maxLength: 6 }).map((names) => Buffer.from(names.join(','))),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
);

/** The ten name-lists of a KEXINIT that a server can agree with. */
const agreeable = fc.tuple(fc.constantFrom(...MODERN.kex), fc.constantFrom(...MODERN.ciphers), fc.constantFrom(...MODERN.macs), fc.constantFrom(...GATEWAY_COMPRESSION))
  .map(([kex, cipher, mac, compression]) => [kex, 'ssh-ed25519', cipher, cipher, mac, mac, compression, compression, '', ''].map((s) => Buffer.from(s)));

interface Kexinit { lists: Buffer[]; follows: number; reserved: number }
const kexinit = (lists: fc.Arbitrary<Buffer[]>) => fc.record({ lists, follows: fc.integer({ min: 0, max: 255 }), reserved: fc.nat() });

function kexinitPayload({ lists, follows, reserved }: Kexinit): Buffer {
  const tail = Buffer.alloc(5);
  tail[0] = follows;
  tail.writeUInt32BE(reserved >>> 0, 1);
  return Buffer.concat([Buffer.from([MSG_KEXINIT]), Buffer.alloc(16, 7), ...lists.map((list) => sshString(list)), tail]);
}

/** A KEXINIT made unreadable: cut short, a name-list length past the end, or a lying packet frame. */
const brokenKexinit = fc.oneof(
  fc.tuple(kexinit(fc.array(nameList, { minLength: 10, maxLength: 10 })), fc.nat()).map(([k, at]) => {
    const payload = kexinitPayload(k);
    return packet(payload.subarray(0, 1 + (at % (payload.length - 6))));
  }),
  fc.tuple(kexinit(fc.array(nameList, { minLength: 10, maxLength: 10 })), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 100_000, max: 0xffffffff })).map(([k, index, length]) => {
    const payload = kexinitPayload(k);
    let at = 17;
    for (let i = 0; i < index; i++) at += 4 + payload.readUInt32BE(at);
    payload.writeUInt32BE(length, at);
    return packet(payload);
  }),
  fc.tuple(kexinit(agreeable), fc.oneof(fc.constant(0), fc.integer({ min: 35_001, max: 0xffffffff }))).map(([k, length]) => packet(kexinitPayload(k), { length })),
);

/** A well-formed KEXINIT whose lists have nothing in common with the gateway's. */
const strangerKexinit = kexinit(fc.array(fc.stringMatching(/^[a-z]{3,12}-x$/).map((s) => Buffer.from(s)), { minLength: 10, maxLength: 10 }))
  .map((k) => packet(kexinitPayload(k)));

/** Any packet at all: a random message number and body. */
const anyPacket = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 2_000 })).map(([type, body]) => packet(Buffer.concat([Buffer.from([type]), body])));

/**
 * An agreeable KEXINIT (its padding maybe below RFC 4253's minimum of 4, which ssh2 lets
 * pass: the extra bytes read as trailing payload), then a client value of any length (ECDH,
 * X25519, ML-KEM hybrid) and maybe more packets.
 */
const plausible = fc.tuple(kexinit(agreeable), fc.option(fc.integer({ min: 0, max: 3 })), fc.uint8Array({ maxLength: 1_300 }), fc.array(anyPacket, { maxLength: 3 }))
  .map(([k, padding, value, more]) => Buffer.concat([
    packet(kexinitPayload(k), padding === null ? undefined : { padding }),
    packet(Buffer.concat([Buffer.from([MSG_KEX_ECDH_INIT]), sshString(Buffer.from(value))])),
    ...more,
  ]));

const versionLine = fc.oneof(
  fc.constant('SSH-2.0-fuzz\r\n'),
  fc.constant('SSH-2.0-OpenSSH_9.2p1\r\n'),
  fc.stringMatching(/^[ -~]{0,60}$/).filter((line) => !line.startsWith('SSH-')).map((banner) => `${banner}\r\nSSH-2.0-after-banner\r\n`),
);

/** Sends `bytes` after the version line; resolves 'closed' if the server hangs up within `waitMs`, else 'open' (then closed by us). */
function converse(version: string, bytes: Buffer, waitMs: number): Promise<'closed' | 'open'> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('open');
    }, waitMs);
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
    socket.resume();
    socket.once('connect', () => {
      socket.write(version);
      socket.write(bytes);
    });
  });
}

test('malformed KEXINITs and pre-auth packets close the connection and never crash the server', { timeout: fuzzTimeoutMs() }, () =>
  fuzz(fc.asyncProperty(versionLine, fc.oneof(brokenKexinit, strangerKexinit, fc.tuple(anyPacket, brokenKexinit).map((parts) => Buffer.concat(parts))), async (version, bytes) => {
    assert.equal(await converse(version, bytes, 3_000), 'closed', 'the server kept a connection with a malformed key exchange open');
  })));

test('plausible key exchanges with any client values end or wait, and never authenticate', { timeout: fuzzTimeoutMs() }, () =>
  fuzz(fc.asyncProperty(versionLine, plausible, async (version, bytes) => {
    const before = authenticated;
    await converse(version, bytes, 300);
    assert.equal(authenticated, before, 'a fuzzed connection authenticated');
  })));

/** Logs in as a normal client offering `compress`, runs a command; resolves with its output and the compression agreed. */
function login(compress: string[]): Promise<{ output: string; compression: string }> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let compression = '';
    client.on('handshake', (negotiated) => { compression = negotiated.cs.compress; });
    client.on('error', reject);
    client.on('ready', () => client.exec('hello', (error, channel) => {
      if (error) return reject(error);
      let output = '';
      channel.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      channel.on('close', () => { client.end(); resolve({ output, compression }); });
    }));
    client.connect({ host: '127.0.0.1', port, username: 'alice', privateKey: userKey.private, readyTimeout: 20_000, algorithms: { compress } as ssh2.Algorithms });
  });
}

test('after the fuzzing a normal client logs in and runs a command', { timeout: 30_000 }, async () => {
  assert.deepEqual(await login(['none']), { output: 'ok:hello', compression: 'none' });
});

test('compression only after authentication, as OpenSSH >= 7.4: zlib@openssh.com yes, pre-auth zlib no', { timeout: 30_000 }, async () => {
  assert.deepEqual(await login(['zlib@openssh.com', 'zlib', 'none']), { output: 'ok:hello', compression: 'zlib@openssh.com' });
  await assert.rejects(login(['zlib']), /no matching .*compression/i);
});
