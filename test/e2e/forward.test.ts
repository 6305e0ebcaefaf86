import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../helpers/ports.js';
import { waitForLocalForward } from '../helpers/ssh-client.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { startEchoServer, echoRoundTrip, type EchoServer } from '../helpers/tcp-echo.js';
import { startWorld } from '../helpers/world.js';

describe('local port forwarding (ssh -L) through the gateway', () => {
  let echo: EchoServer;

  before(async () => {
    echo = await startEchoServer();
  });

  const w = suiteFixture(() => startWorld({ forwardPorts: [echo.port] }));

  after(async () => {
    await echo?.stop();
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
      await waitForLocalForward(ssh, localPort, 15_000);

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
