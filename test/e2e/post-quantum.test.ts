// The post-quantum hybrid key exchange mlkem768x25519-sha256 on the gateway
// hop, with two OpenSSH clients: Debian bookworm's 9.2 (which does not know the
// method) and OpenSSH 10 from bookworm-backports, which
// scripts/ensure-test-deps.mjs unpacks into node_modules/.cache (npm test runs
// it first). Set JUMPGATE_TEST_PQ_SSH to use another ssh that offers the method.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import ssh2 from 'ssh2';
import { repoRoot } from '../helpers/paths.js';
import { run, type RunResult } from '../helpers/processes.js';
import { describeRun } from '../helpers/ssh-client.js';
import { startWorld } from '../helpers/world.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { sendKexInit } from '../helpers/raw-kex.js';

const PQ_KEX = 'mlkem768x25519-sha256';
const CLASSIC_KEX = 'curve25519-sha256';
const pqCacheDir = path.join(repoRoot, 'node_modules', '.cache', 'openssh-backports');

async function offersPqKex(ssh: string): Promise<boolean> {
  const r = await run(ssh, ['-Q', 'kex']);
  return r.code === 0 && r.stdout.split('\n').includes(PQ_KEX);
}

/** The OpenSSH 10 client, or an error that says why there is none and what to do. */
async function newOpenSsh(): Promise<string> {
  const fromEnv = process.env.JUMPGATE_TEST_PQ_SSH;
  const ssh = fromEnv || path.join(pqCacheDir, 'root', 'usr', 'bin', 'ssh');
  if (fs.existsSync(ssh) && (await offersPqKex(ssh))) return ssh;
  let reason = fromEnv ? `JUMPGATE_TEST_PQ_SSH=${fromEnv} is not an ssh that offers ${PQ_KEX}` : `${ssh} is missing or does not offer ${PQ_KEX}`;
  try {
    const status = JSON.parse(fs.readFileSync(path.join(pqCacheDir, 'status.json'), 'utf8')) as { ok: boolean; reason?: string };
    if (!status.ok && status.reason && !fromEnv) reason = status.reason;
  } catch {
    reason += ' (scripts/ensure-test-deps.mjs has not run: npm test runs it before the tests)';
  }
  throw new Error(`no OpenSSH 10 client for the post-quantum test: ${reason}`);
}

/** The kex method of the connection to the gateway in `ssh -v` output (the hop before the target). */
function gateHopKex(stderr: string): string | undefined {
  const lines = stderr.split('\n');
  const start = lines.findIndex((line) => /remote software version jumpgate/.test(line));
  if (start === -1) return undefined;
  for (const line of lines.slice(start)) {
    const m = /kex: algorithm: (\S+)/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

function assertGateHopKex(r: RunResult, expected: string): void {
  assert.equal(r.code, 0, describeRun(r));
  assert.equal(gateHopKex(r.stderr), expected, `the hop to the gateway should use ${expected}\n${describeRun(r)}`);
}

describe('post-quantum key exchange (mlkem768x25519-sha256) on the gateway hop', () => {
  const w = suiteFixture(() => startWorld());

  test('OpenSSH 10: ssh -v -J alice@gate db1 true uses mlkem768x25519-sha256 to the gateway', { timeout: 30_000 }, async () => {
    const ssh = await newOpenSsh();
    const r = await run(ssh, ['-F', w.alice.configFile, '-v', '-J', 'alice@gate', 'db1', 'true']);
    assert.match(r.stderr, /Executing proxy command: exec \S*ssh /, describeRun(r));
    assertGateHopKex(r, PQ_KEX);
    // The gateway never sees the end-to-end session: OpenSSH 9.2's sshd on db1 chooses its own.
    assert.match(r.stderr, /Authenticated to db1 \(via proxy\)/);
  });

  test('the system OpenSSH client still connects (curve25519-sha256 where it lacks the new method)', { timeout: 30_000 }, async () => {
    const expected = (await offersPqKex('ssh')) ? PQ_KEX : CLASSIC_KEX;
    const r = await run('ssh', ['-F', w.alice.configFile, '-v', '-J', 'alice@gate', 'db1', 'true']);
    assertGateHopKex(r, expected);
  });

  test('OpenSSH 10 restricted to curve25519-sha256 still connects', { timeout: 30_000 }, async () => {
    const ssh = await newOpenSsh();
    // -o is not passed on to the ssh that ProxyJump runs, so the restriction goes in the file.
    const config = fs.readFileSync(w.alice.configFile, 'utf8').replace(/^Host gate\n/m, `Host gate\n  KexAlgorithms ${CLASSIC_KEX}\n`);
    const configFile = w.gateway.writeFile('ssh_config.classic-kex', config);
    fs.chmodSync(configFile, 0o600);
    const r = await run(ssh, ['-F', configFile, '-v', '-J', 'alice@gate', 'db1', 'echo classic-ok']);
    assertGateHopKex(r, CLASSIC_KEX);
    assert.match(r.stdout, /classic-ok/);
  });

  test('the patched ssh2 client logs in to the gateway with mlkem768x25519-sha256', { timeout: 30_000 }, async () => {
    const kex = await new Promise<string>((resolve, reject) => {
      const client = new ssh2.Client();
      let negotiated = '';
      client.on('handshake', (n) => (negotiated = n.kex));
      client.on('ready', () => {
        client.end();
        resolve(negotiated);
      });
      client.on('error', reject);
      client.connect({
        host: '127.0.0.1',
        port: w.gateway.port,
        username: 'alice',
        privateKey: fs.readFileSync(w.keys.alice.privateKeyPath),
        readyTimeout: 10_000,
        algorithms: { kex: [PQ_KEX, CLASSIC_KEX] } as never,
      });
    });
    assert.equal(kex, PQ_KEX);
  });

  test('a malformed init value (1215 bytes) is refused with a key exchange error; the gateway keeps serving', { timeout: 30_000 }, async () => {
    const { after: replies } = await sendKexInit(w.gateway.port, PQ_KEX, randomBytes(1215));
    assert.ok(replies.length >= 1, 'the gateway closed the connection without a disconnect message');
    const disconnect = replies[0];
    assert.equal(disconnect[0], 1, 'SSH_MSG_DISCONNECT');
    assert.equal(disconnect.readUInt32BE(1), 3, 'SSH_DISCONNECT_KEY_EXCHANGE_FAILED');
    assert.ok(w.gateway.isAlive(), `the gateway is still running\n${w.gateway.stderrText()}`);
    const r = await w.alice.run(['-J', 'gate', 'db1', 'echo still-serving']);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /still-serving/);
  });
});
