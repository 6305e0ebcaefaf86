import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { cleanupAll } from '../helpers/cleanup.js';
import { freePort, waitForPort } from '../helpers/ports.js';
import { startEchoServer, echoRoundTrip, type EchoServer } from '../helpers/tcp-echo.js';
import { startWorld, type World } from '../helpers/world.js';

describe('local port forwarding (ssh -L) through the gateway', () => {
  let w: World;
  let echo: EchoServer;

  before(async () => {
    echo = await startEchoServer();
    w = await startWorld({ forwardPorts: [echo.port] });
  });

  after(async () => {
    try {
      await w?.stop();
    } finally {
      await echo?.stop();
      await cleanupAll();
    }
  });

  test('ssh -N -L LOCAL:db1:PORT gate relays bytes both ways', { timeout: 60_000 }, async () => {
    const localPort = await freePort();
    const ssh = w.alice.spawn([
      '-N',
      '-o', 'ExitOnForwardFailure=yes',
      '-L', `127.0.0.1:${localPort}:db1:${echo.port}`,
      'gate',
    ]);
    try {
      await waitForPort('127.0.0.1', localPort, 15_000, () => ssh.isAlive()).catch((e: Error) => {
        throw new Error(`${e.message}\nssh stderr:\n${ssh.stderr()}`);
      });

      const big = await echoRoundTrip('127.0.0.1', localPort, randomBytes(1024 * 1024));
      assert.equal(big.receivedBytes, big.sentBytes);
      assert.equal(big.receivedSha256, big.sentSha256);

      // Several forwarded connections at once over the same SSH connection.
      const small = await Promise.all(
        Array.from({ length: 8 }, () => echoRoundTrip('127.0.0.1', localPort, randomBytes(64 * 1024))),
      );
      for (const r of small) assert.equal(r.receivedSha256, r.sentSha256);

      assert.ok(echo.connections() >= 9, `echo server saw ${echo.connections()} connections`);
      assert.ok(ssh.isAlive(), `ssh -L exited early:\n${ssh.stderr()}`);
    } finally {
      await ssh.kill();
    }
  });
});
