import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { run } from '../helpers/processes.js';
import { describeRun } from '../helpers/ssh-client.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { sha256 } from '../helpers/tcp-echo.js';
import { startWorld } from '../helpers/world.js';

describe('ProxyJump (ssh -J) through the gateway', () => {
  const w = suiteFixture(() => startWorld());

  test('ssh -J gate LOGIN@db1 reaches the target by name and runs a command', { timeout: 30_000 }, async () => {
    const r = await w.alice.run(['-J', 'gate', `${w.login}@db1`, 'echo hello-from-target']);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /^hello-from-target$/m);
  });

  test('the remote exit status comes back to the client', { timeout: 30_000 }, async () => {
    const r = await w.alice.run(['-J', 'gate', `${w.login}@db1`, 'exit 7']);
    assert.equal(r.code, 7, describeRun(r));
  });

  test('the session is end to end: the client checks the target\'s own host key', { timeout: 30_000 }, async () => {
    // Strict checking against a known_hosts file that holds only db1's real
    // host key: this succeeds only if the gateway relays bytes and does not
    // terminate the inner SSH session itself.
    const knownHosts = path.join(w.gateway.workDir, 'known_hosts.db1');
    fs.writeFileSync(knownHosts, `db1 ${w.db1.hostPublicKey}\n`);
    const r = await w.alice.run([
      '-o', `UserKnownHostsFile=${knownHosts}`,
      '-o', 'StrictHostKeyChecking=yes',
      '-J', 'gate', `${w.login}@db1`, 'echo pinned-ok',
    ]);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /pinned-ok/);
  });

  test('1 MiB of stdin reaches the target intact', { timeout: 30_000 }, async () => {
    const payload = randomBytes(1024 * 1024);
    const r = await w.alice.run(['-J', 'gate', `${w.login}@db1`, 'sha256sum'], { input: payload });
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.stdout.split(/\s+/)[0], sha256(payload));
  });

  test('scp -J copies a file to the target', { timeout: 30_000 }, async () => {
    const src = path.join(w.gateway.workDir, 'upload.bin');
    const dest = path.join(w.gateway.workDir, 'uploaded.bin');
    const payload = randomBytes(256 * 1024);
    fs.writeFileSync(src, payload);
    const r = await run('scp', ['-F', w.alice.configFile, '-q', '-J', 'gate', src, `${w.login}@db1:${dest}`]);
    assert.equal(r.code, 0, describeRun(r));
    // db1 runs on this machine, so the copy is visible locally.
    assert.equal(sha256(fs.readFileSync(dest)), sha256(payload));
  });
});
