import assert from 'node:assert/strict';
import net from 'node:net';
import { before, describe, test } from 'node:test';
import { freePort } from '../helpers/ports.js';
import { allOutput, describeRun, waitForLocalForward } from '../helpers/ssh-client.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { startWorld } from '../helpers/world.js';

/** Resolves once stderr() matches pattern, or rejects with what it holds. */
async function waitForOutput(stderr: () => string, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(stderr())) {
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms in:\n${stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Connects, waits for the far side to close, and returns what it sent. */
function readUntilClosed(port: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`forwarded connection to ${port} stayed open for ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

describe('what the gateway refuses', () => {
  const w = suiteFixture(() => startWorld());
  // A port nothing grants (nor listens on): the refusal must come from policy.
  let ungrantedPort: number;

  before(async () => {
    ungrantedPort = await freePort();
  });

  test('a user with no grant is refused the jump to db1', { timeout: 30_000 }, async () => {
    const r = await w.bob.run(['-J', 'gate', `${w.login}@db1`, 'echo should-not-run']);
    assert.notEqual(r.code, 0, describeRun(r));
    assert.doesNotMatch(r.stdout, /should-not-run/);
    assert.match(r.stderr, /jumpgate: bob may not reach db1:22 \(/, describeRun(r));
  });

  test('a forward to a port no rule grants is refused with the reason', { timeout: 30_000 }, async () => {
    const localPort = await freePort();
    const ssh = w.alice.spawn(['-N', '-L', `127.0.0.1:${localPort}:db1:${ungrantedPort}`, 'gate']);
    try {
      await waitForLocalForward(ssh, localPort, 15_000);
      const received = await readUntilClosed(localPort, 10_000);
      assert.equal(received.length, 0, 'a refused forward must not carry data');
      const pattern = new RegExp(
        `jumpgate: alice may not reach db1:${ungrantedPort} \\(no rule grants port ${ungrantedPort}\\)`,
      );
      await waitForOutput(() => ssh.stderr(), pattern, 5_000);
    } finally {
      await ssh.kill();
    }
  });

  test('a loopback address that no target names is refused', { timeout: 30_000 }, async () => {
    const r = await w.alice.run(['-J', 'gate', 'root@127.0.0.9', 'true']);
    assert.notEqual(r.code, 0, describeRun(r));
    assert.match(r.stderr, /jumpgate: alice may not reach 127\.0\.0\.9:22 \(/, describeRun(r));
  });

  test('an unknown target name is refused', { timeout: 30_000 }, async () => {
    const r = await w.alice.run(['-J', 'gate', `${w.login}@db9`, 'true']);
    assert.notEqual(r.code, 0, describeRun(r));
    assert.match(r.stderr, /jumpgate: no target named db9/, describeRun(r));
  });

  test('a key the user does not own is refused at authentication', { timeout: 30_000 }, async () => {
    const r = await w.stranger.run(['-J', 'gate', `${w.login}@db1`, 'echo should-not-run']);
    assert.equal(r.code, 255, describeRun(r));
    assert.doesNotMatch(r.stdout, /should-not-run/);
    assert.match(r.stderr, /Permission denied/, describeRun(r));
  });

  test('remote forwarding (ssh -R) is refused without an explicit grant', { timeout: 30_000 }, async () => {
    const r = await w.alice.run(
      ['-N', '-o', 'ExitOnForwardFailure=yes', '-R', '127.0.0.1:0:127.0.0.1:9', 'gate'],
      { timeoutMs: 20_000 },
    );
    assert.equal(r.timedOut, false, `ssh -R was not refused: ${describeRun(r)}`);
    assert.notEqual(r.code, 0, describeRun(r));
  });

  test('ssh gate without a target gets no shell, a hint, and exit status 1', { timeout: 30_000 }, async () => {
    const r = await w.alice.run(['-T', 'gate']);
    assert.equal(r.code, 1, describeRun(r));
    assert.match(allOutput(r), /ssh -J/, describeRun(r));
  });
});
