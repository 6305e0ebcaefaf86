// The mlkem768x25519-sha256 key exchange that patches/ssh2+1.17.0.patch adds
// to ssh2 (draft-kampanakis-curdle-ssh-pq-ke, as OpenSSH's kexmlkem768x25519.c):
// an ssh2 server and client agree on it and exchange data, and malformed
// client init values are refused with a key exchange error, without harm.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import ssh2, { type Connection } from 'ssh2';
import { sendKexInit } from '../../test/helpers/raw-kex.js';

const KEX = 'mlkem768x25519-sha256';
const MSG_DISCONNECT = 1;
const MSG_KEXINIT = 20;
const SSH_DISCONNECT_KEY_EXCHANGE_FAILED = 3;

const hostKey = ssh2.utils.generateKeyPairSync('ed25519').private;

interface TestServer {
  port: number;
  /** Errors the server reported on its connections. */
  errors: Error[];
  close(): Promise<void>;
}

/** An ssh2 server offering the `kex` methods that answers `exec` with "ok:COMMAND". */
async function startServer(kex: string[] = [KEX]): Promise<TestServer> {
  const errors: Error[] = [];
  const server = new ssh2.Server({ hostKeys: [hostKey], algorithms: { kex } as never }, (conn: Connection) => {
    conn.on('error', (err: Error) => errors.push(err));
    conn.on('authentication', (ctx) => ctx.accept());
    conn.on('ready', () => {
      conn.on('session', (accept) => {
        accept().on('exec', (acceptExec, _reject, info) => {
          const channel = acceptExec();
          const reply = (): void => {
            channel.end(`ok:${info.command}`);
            channel.exit(0);
          };
          // `rekey` starts a new key exchange from the server side first.
          if (info.command === 'rekey') conn.rekey(reply);
          else reply();
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    errors,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface ClientRun {
  /** The method of each key exchange on the connection (the first, then rekeys). */
  kex: string[];
  outputs: string[];
}

/** Connects an ssh2 client offering `kex` (default: only mlkem768x25519-sha256) and runs each command. */
function runClient(port: number, commands: string[], kex: string[] = [KEX]): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    const result: ClientRun = { kex: [], outputs: [] };
    client.on('handshake', (negotiated) => result.kex.push(negotiated.kex));
    client.on('error', reject);
    const exec = (command: string): Promise<string> =>
      new Promise((resolveExec, rejectExec) => {
        client.exec(command, (err, stream) => {
          if (err) return rejectExec(err);
          let out = '';
          stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
          stream.on('close', () => resolveExec(out));
        });
      });
    client.on('ready', () => {
      void (async () => {
        for (const command of commands) result.outputs.push(await exec(command));
        client.end();
        resolve(result);
      })().catch((err: Error) => {
        client.end();
        reject(err);
      });
    });
    client.connect({
      host: '127.0.0.1',
      port,
      username: 'tester',
      readyTimeout: 10_000,
      algorithms: { kex } as never,
    });
  });
}

describe('mlkem768x25519-sha256 in the patched ssh2', () => {
  let server: TestServer;

  before(async () => {
    server = await startServer();
  });

  after(async () => {
    await server?.close();
  });

  test('an ssh2 client and server restricted to it complete the handshake and exchange data', { timeout: 20_000 }, async () => {
    const r = await runClient(server.port, ['first']);
    assert.deepEqual(r.kex, [KEX]);
    assert.deepEqual(r.outputs, ['ok:first']);
  });

  test('it is preferred over curve25519 when both sides offer both', { timeout: 20_000 }, async () => {
    const both = await startServer([KEX, 'curve25519-sha256']);
    try {
      const r = await runClient(both.port, ['x'], [KEX, 'curve25519-sha256']);
      assert.deepEqual(r.kex, [KEX]);
      const classic = await runClient(both.port, ['y'], ['curve25519-sha256']);
      assert.deepEqual(classic.kex, ['curve25519-sha256']);
      assert.deepEqual(classic.outputs, ['ok:y']);
    } finally {
      await both.close();
    }
  });

  test('rekeying with it keeps the connection working', { timeout: 20_000 }, async () => {
    const r = await runClient(server.port, ['one', 'rekey', 'two']);
    assert.deepEqual(r.kex, [KEX, KEX]);
    assert.deepEqual(r.outputs, ['ok:one', 'ok:rekey', 'ok:two']);
  });

  const validMlkem = (): Buffer => Buffer.from(ml_kem768.keygen().publicKey);
  const malformed: Array<[string, () => Buffer]> = [
    ['a 1215-byte init value (one byte short)', () => randomBytes(1215)],
    ['a 1217-byte init value (one byte long)', () => randomBytes(1217)],
    ['an empty init value', () => Buffer.alloc(0)],
    ['an X25519 key giving an all-zero shared secret', () => Buffer.concat([validMlkem(), Buffer.alloc(32)])],
    ['an ML-KEM key with coefficients out of range', () => Buffer.concat([Buffer.alloc(1184, 0xff), randomBytes(32)])],
  ];
  for (const [name, value] of malformed) {
    test(`${name} is refused with a key exchange error, and the server keeps serving`, { timeout: 20_000 }, async () => {
      const errorsBefore = server.errors.length;
      const { serverKexinit, after: replies } = await sendKexInit(server.port, KEX, value());
      assert.equal(serverKexinit[0], MSG_KEXINIT);
      assert.ok(serverKexinit.includes(Buffer.from(KEX)), 'the server offered the method');
      assert.equal(replies.length, 1, `one reply (a disconnect), got types ${replies.map((p) => p[0]).join(', ')}`);
      assert.equal(replies[0][0], MSG_DISCONNECT);
      assert.equal(replies[0].readUInt32BE(1), SSH_DISCONNECT_KEY_EXCHANGE_FAILED);
      assert.ok(server.errors.length > errorsBefore, 'the connection reported an error');
      assert.match(server.errors.at(-1)!.message, /DH secret \(mlkem768x25519\)/);

      const r = await runClient(server.port, ['after']);
      assert.deepEqual(r.outputs, ['ok:after']);
    });
  }
});
