import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { describe, test } from 'node:test';
import ssh2 from 'ssh2';
import { describeRun } from '../helpers/ssh-client.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { startWorld } from '../helpers/world.js';

/**
 * Opens a raw TCP connection, lets `act` use it, and waits (bounded) for it to
 * close. Resolves 'closed' when it closed by itself (the gateway hung up, or
 * `act` destroyed it), 'timeout' when the helper had to close it.
 */
function rawConnection(port: number, act: (socket: net.Socket) => void, timeoutMs = 5_000): Promise<'closed' | 'timeout'> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('timeout');
    }, timeoutMs);
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
    // Read (and drop) whatever the gateway sends, so its hang-up is seen.
    socket.resume();
    socket.once('connect', () => act(socket));
  });
}

describe('the gateway survives hostile and heavy clients', () => {
  const w = suiteFixture(() => startWorld());

  async function assertStillServes(): Promise<void> {
    assert.ok(w.gateway.isAlive(), `gateway died:\n${w.gateway.stderrText()}`);
    const r = await w.alice.run(['-J', 'gate', `${w.login}@db1`, 'echo still-serving']);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /still-serving/);
    assert.ok(w.gateway.isAlive(), `gateway died:\n${w.gateway.stderrText()}`);
  }

  test('garbage instead of an SSH version line', { timeout: 30_000 }, async () => {
    const garbage: Record<string, (s: net.Socket) => void> = {
      'an HTTP request': (s) => s.end('GET / HTTP/1.1\r\nHost: gate\r\n\r\n'),
      'random bytes': (s) => s.write(randomBytes(64 * 1024)),
      'an endless version line': (s) => s.write(Buffer.alloc(300 * 1024, 0x41)),
      'SSH protocol 1': (s) => s.write('SSH-1.5-ancient\r\n'),
      'a version line, then random packets': (s) => s.end('SSH-2.0-x\r\n' + randomBytes(4096).toString('binary')),
    };
    const outcomes = await Promise.all(
      Object.entries(garbage).map(async ([what, act]) => [what, await rawConnection(w.gateway.port, act)] as const),
    );
    // Like OpenSSH, the gateway hangs up on a client that does not speak SSH
    // rather than holding the slot until the login grace time.
    for (const [what, outcome] of outcomes) {
      assert.equal(outcome, 'closed', `the gateway kept a connection sending ${what} open`);
    }
    await assertStillServes();
  });

  test('clients that hang up mid-handshake', { timeout: 30_000 }, async () => {
    // The version line, then gone: 20 times, some before the server speaks.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        rawConnection(w.gateway.port, (s) => {
          if (i % 2 === 0) {
            s.write('SSH-2.0-OpenSSH_9.2p1\r\n');
            s.destroy();
          } else {
            s.once('data', () => {
              s.write('SSH-2.0-OpenSSH_9.2p1\r\n');
              // A packet header that promises more than will ever arrive.
              s.write(Buffer.from([0x00, 0x00, 0x04, 0x00, 0x0a, 0x14]));
              setTimeout(() => s.destroy(), 50);
            });
          }
        }),
      ),
    );
    await assertStillServes();
  });

  test('200 direct-tcpip channels opened at once on one connection', { timeout: 90_000 }, async () => {
    const client = new ssh2.Client();
    const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    client.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.once('error', reject);
      client.connect({
        host: '127.0.0.1',
        port: w.gateway.port,
        username: 'alice',
        privateKey: fs.readFileSync(w.keys.alice.privateKeyPath),
        readyTimeout: 20_000,
      });
    });

    const outcomes = await Promise.all(
      Array.from(
        { length: 200 },
        (_, i) =>
          new Promise<'banner' | 'opened' | 'refused'>((resolve) => {
            client.forwardOut('127.0.0.1', 40_000 + i, 'db1', 22, (err, stream) => {
              if (err) {
                resolve('refused');
                return;
              }
              // A working channel carries db1's SSH version line.
              const timer = setTimeout(() => {
                stream.destroy();
                resolve('opened');
              }, 20_000);
              stream.once('data', (chunk: Buffer) => {
                clearTimeout(timer);
                resolve(chunk.toString('latin1').startsWith('SSH-2.0-') ? 'banner' : 'opened');
              });
              stream.on('error', () => {});
              stream.once('close', () => {
                clearTimeout(timer);
                resolve('opened');
              });
            });
          }),
      ),
    );
    const count = (o: string): number => outcomes.filter((x) => x === o).length;
    // Every channel got an answer; a gateway may cap concurrent sessions, but
    // it must answer each request and serve at least some of them.
    assert.equal(outcomes.length, 200);
    assert.ok(count('banner') > 0, `banner ${count('banner')}, opened ${count('opened')}, refused ${count('refused')}`);

    client.end();
    let giveUp: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((r) => (giveUp = setTimeout(r, 10_000)))]);
    clearTimeout(giveUp);
    await new Promise((r) => setTimeout(r, 500));
    await assertStillServes();
  });
});
