import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allOutput, describeRun } from '../helpers/ssh-client.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { startWorld } from '../helpers/world.js';

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`${what} is not JSON (${(e as Error).message}):\n${text}`);
  }
}

describe('jumpgate CLI against a running gateway', () => {
  const w = suiteFixture(() => startWorld());

  test('apply rejects an invalid port with file:line and applies nothing', { timeout: 30_000 }, async () => {
    // db2 is valid; db1's new port on line 10 is not. All-or-nothing means
    // neither document may land.
    const file = w.gateway.writeFile(
      'bad-targets.yaml',
      [
        'kind: Target',
        'name: db2',
        'host: 127.0.0.1',
        'port: 22',
        `login: ${w.login}`,
        '---',
        'kind: Target',
        'name: db1',
        'host: 127.0.0.1',
        'port: 70000',
        `login: ${w.login}`,
        '',
      ].join('\n'),
    );
    const r = await w.gateway.jumpgate(['apply', '-f', file]);
    assert.equal(r.code, 2, describeRun(r));
    assert.match(allOutput(r), /bad-targets\.yaml:10: Target db1: port must be 1-65535/, describeRun(r));

    const targets = await w.gateway.jumpgate(['get', 'targets', '-o', 'json']);
    assert.equal(targets.code, 0, describeRun(targets));
    parseJson(targets.stdout, 'get targets -o json');
    assert.doesNotMatch(targets.stdout, /db2/, 'db2 was applied although the file was invalid');
    assert.doesNotMatch(targets.stdout, /70000/, 'db1 was changed although the file was invalid');
    assert.match(targets.stdout, /db1/);
  });

  test('get users -o json is JSON and lists the users', { timeout: 30_000 }, async () => {
    const r = await w.gateway.jumpgate(['get', 'users', '-o', 'json']);
    assert.equal(r.code, 0, describeRun(r));
    parseJson(r.stdout, 'get users -o json');
    assert.match(r.stdout, /"alice"/);
    assert.match(r.stdout, /"bob"/);
  });

  test('policy check says allow (exit 0) or deny (exit 1)', { timeout: 30_000 }, async () => {
    const allowed = await w.gateway.jumpgate(['policy', 'check', 'alice', 'db1', '--access', 'jump']);
    assert.equal(allowed.code, 0, describeRun(allowed));

    const noRole = await w.gateway.jumpgate(['policy', 'check', 'bob', 'db1']);
    assert.equal(noRole.code, 1, describeRun(noRole));

    const wrongPort = await w.gateway.jumpgate(['policy', 'check', 'alice', 'db1', '--access', 'forward', '--port', '5432']);
    assert.equal(wrongPort.code, 1, describeRun(wrongPort));
  });

  test('sessions lists a live jump session while it is open', { timeout: 60_000 }, async () => {
    // `cat` holds the session open until its stdin closes.
    const ssh = w.alice.spawn(['-J', 'gate', `${w.login}@db1`, 'echo session-open; cat'], { keepStdinOpen: true });
    try {
      const deadline = Date.now() + 15_000;
      while (!ssh.stdout().includes('session-open')) {
        assert.ok(ssh.isAlive(), `ssh ended early:\n${ssh.stderr()}`);
        assert.ok(Date.now() < deadline, `session did not open:\n${ssh.stderr()}`);
        await new Promise((r) => setTimeout(r, 100));
      }

      let listed = '';
      for (;;) {
        const r = await w.gateway.jumpgate(['sessions', '-o', 'json']);
        assert.equal(r.code, 0, describeRun(r));
        parseJson(r.stdout, 'sessions -o json');
        if (/alice/.test(r.stdout) && /db1/.test(r.stdout)) {
          listed = r.stdout;
          break;
        }
        assert.ok(Date.now() < deadline, `sessions never listed alice's session to db1; last output:\n${r.stdout}`);
        await new Promise((r2) => setTimeout(r2, 200));
      }
      assert.match(listed, /jump/);

      ssh.child.stdin?.end();
      const done = await ssh.exited;
      assert.equal(done.code, 0, describeRun(done));

      // Once closed, it is no longer live.
      const gone = Date.now() + 10_000;
      for (;;) {
        const r = await w.gateway.jumpgate(['sessions', '-o', 'json']);
        if (!/db1/.test(r.stdout)) break;
        assert.ok(Date.now() < gone, `sessions still lists the closed session:\n${r.stdout}`);
        await new Promise((r2) => setTimeout(r2, 200));
      }
    } finally {
      await ssh.kill();
    }
  });
});
