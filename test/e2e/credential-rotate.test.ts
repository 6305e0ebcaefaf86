/**
 * `jumpgate credential rotate NAME` (SPEC §12) against real OpenSSH targets whose login's
 * own authorized_keys the gateway edits: one reached directly, one behind a hop. The old
 * key stops working, the new one works, sessions go on throughout; a target that cannot be
 * updated undoes the whole rotation and is named.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startGateway, type AuditEvent, type Gateway } from '../helpers/gateway.js';
import { fingerprintOf, makeKeyPair, type KeyPair } from '../helpers/keys.js';
import { run } from '../helpers/processes.js';
import { describeRun, makeSshClient, quietSshOptions, type SshClient } from '../helpers/ssh-client.js';
import { osLogin, startSshd, type Sshd } from '../helpers/sshd.js';
import { startHomeTarget, type HomeTarget } from '../helpers/home-target.js';
import { suiteFixture } from '../helpers/suite-fixture.js';

interface Cast {
  gateway: Gateway;
  rotKey: KeyPair;
  otherKey: KeyPair;
  hop1: Sshd;
  t1: HomeTarget;
  t2: HomeTarget;
  w1: HomeTarget;
  x1: HomeTarget;
  alice: SshClient;
  stop(): Promise<void>;
}

const target = (name: string, port: number, credential: string, via?: string) => `kind: Target
name: ${name}
host: 127.0.0.1
port: ${port}
login: ${osLogin}
credential: ${credential}
${via ? `via: ${via}\n` : ''}`;

async function startCast(): Promise<Cast> {
  const gateway = await startGateway();
  const dir = gateway.workDir;
  const [rotKey, otherKey, hopKey, alice] = await Promise.all(['rot-key', 'other-key', 'hop-key', 'alice'].map((n) => makeKeyPair(dir, n, `${n}@test`)));
  const hop1 = await startSshd({ authorizedKeys: [hopKey.publicKey] });
  const t1 = await startHomeTarget({ authorizedKeys: [rotKey.publicKey] });
  const t2 = await startHomeTarget({ authorizedKeys: [rotKey.publicKey] });
  // w1 and x1 share other-key; x1's home is read-only, so its authorized_keys cannot change.
  const w1 = await startHomeTarget({ authorizedKeys: [otherKey.publicKey] });
  const x1 = await startHomeTarget({ authorizedKeys: [otherKey.publicKey], readOnly: true });
  const credential = (name: string) => `kind: Credential\nname: ${name}\ntype: privateKey\nsecretFile: ./${name}\n`;
  await gateway.apply([
    credential('rot-key'), credential('other-key'), credential('hop-key'),
    target('hop1', hop1.port, 'hop-key'), target('t1', t1.port, 'rot-key'), target('t2', t2.port, 'rot-key', 'hop1'),
    target('w1', w1.port, 'other-key'), target('x1', x1.port, 'other-key'),
    `kind: User\nname: alice\nroles: [ops]\nkeys:\n  - ${alice.publicKey}\n`,
    `kind: Role\nname: ops\nallow:\n  - targets: [t1, t2, w1, x1]\n    access: [session]\n`,
  ].join('---\n'));
  return {
    gateway, rotKey, otherKey, hop1, t1, t2, w1, x1,
    alice: makeSshClient({ dir, gateUser: 'alice', gatePort: gateway.port, gateKey: alice.privateKeyPath, gateLogLevel: 'ERROR' }),
    async stop() {
      try {
        await gateway.stop();
      } finally {
        await Promise.all([hop1, t1, t2, w1, x1].map((t) => t.stop()));
      }
    },
  };
}

function newSince(g: { auditEvents(): AuditEvent[] }): (e: AuditEvent) => boolean {
  const seen = new Set(g.auditEvents().map((e) => e.id));
  return (e) => !seen.has(e.id);
}

/** Logs into a target directly with a key file (no gateway): exit 0 when the target accepts the key. */
function directLogin(t: HomeTarget, key: KeyPair): Promise<number | null> {
  return run('ssh', [...quietSshOptions(key.privateKeyPath), '-p', String(t.port), `${osLogin}@127.0.0.1`, 'true']).then((r) => r.code);
}

async function storedPublicKey(gateway: Gateway, name: string): Promise<string> {
  const r = await gateway.jumpgate(['get', 'credentials', name, '-o', 'json']);
  assert.equal(r.code, 0, describeRun(r));
  const parsed = JSON.parse(r.stdout) as { publicKey: string } | Array<{ publicKey: string }>;
  return (Array.isArray(parsed) ? parsed[0] : parsed).publicKey;
}

describe('credential rotate: a new key on every target that uses the credential, the old one gone', () => {
  const c = suiteFixture(startCast);
  const session = (who: string, command: string) => c.alice.run(['-p', String(c.gateway.port), `${who}@127.0.0.1`, command], { timeoutMs: 60_000 });

  test('over a direct target and one behind a hop: old key refused, new key accepted, a session open throughout keeps working', { timeout: 120_000 }, async () => {
    for (const name of ['t1', 't2']) {
      const before = await session(`alice+${name}`, 'echo ok');
      assert.match(before.stdout, /^ok$/m, describeRun(before));
    }
    const fresh = newSince(c.gateway);
    // A session that spans the rotation.
    const during = session('alice+t1', 'sleep 6; echo still-here');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const r = await c.gateway.jumpgate(['credential', 'rotate', 'rot-key'], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, describeRun(r));
    const oldFingerprint = c.rotKey.fingerprint;
    const newPublic = await storedPublicKey(c.gateway, 'rot-key');
    const newFingerprint = await fingerprintOf(c.gateway.writeFile('new.pub', `${newPublic}\n`));
    assert.equal(r.stdout.trim(), `credential/rot-key rotated on 2 target(s) (t1, t2): ${oldFingerprint} -> ${newFingerprint}`);

    for (const t of [c.t1, c.t2]) {
      const lines = t.authorizedKeys();
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.ok(lines[0].startsWith(newPublic), `only the new key is authorized: ${lines[0]}`);
      assert.notEqual(await directLogin(t, c.rotKey), 0, 'the old key no longer logs in');
    }
    const spanning = await during;
    assert.equal(spanning.code, 0, describeRun(spanning));
    assert.match(spanning.stdout, /still-here/);

    // New logins through the gateway use the new key, directly and through the hop.
    for (const [name, t] of [['t1', c.t1], ['t2', c.t2]] as const) {
      const after = await session(`alice+${name}`, 'echo ok');
      assert.match(after.stdout, /^ok$/m, describeRun(after));
      assert.ok(t.stderrText().includes(`ED25519 ${newFingerprint}`), `${name} saw the new key`);
    }
    const event = await c.gateway.waitForAuditEvent((e) => fresh(e) && e.type === 'credential.rotate');
    assert.equal(event.outcome, 'rotated');
    assert.deepEqual(event.targets, ['t1', 't2']);
    assert.equal(event.old_key, oldFingerprint);
    assert.equal(event.new_key, newFingerprint);
    assert.ok(!JSON.stringify(c.gateway.auditEvents()).includes('PRIVATE KEY'), 'no private key in the trail');
  });

  test('a target that cannot be updated is named, the rotation is undone everywhere and every target keeps working with the old key', { timeout: 120_000 }, async () => {
    const before = await storedPublicKey(c.gateway, 'other-key');
    const w1Before = c.w1.authorizedKeys();
    const fresh = newSince(c.gateway);
    const r = await c.gateway.jumpgate(['credential', 'rotate', 'other-key'], { timeoutMs: 90_000 });
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stderr, /^jumpgate: credential other-key not rotated: x1: adding the new key: .*Read-only file system/m, describeRun(r));
    assert.deepEqual(c.w1.authorizedKeys(), w1Before, 'the new key was removed again from w1');
    assert.equal(await storedPublicKey(c.gateway, 'other-key'), before, 'the vault is unchanged');
    for (const [name, t] of [['w1', c.w1], ['x1', c.x1]] as const) {
      assert.equal(await directLogin(t, c.otherKey), 0, `${name} still takes the old key`);
      const through = await session(`alice+${name}`, 'echo ok');
      assert.match(through.stdout, /^ok$/m, describeRun(through));
    }
    const event = await c.gateway.waitForAuditEvent((e) => fresh(e) && e.type === 'credential.rotate');
    assert.equal(event.outcome, 'failed');
    assert.equal(event.target, 'x1');
  });

  test('a credential that is not a private key is not rotated (exit 1)', { timeout: 30_000 }, async () => {
    const r = await c.gateway.jumpgate(['credential', 'rotate', 'no-such']);
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stderr, /^jumpgate: no credential named no-such$/m);
  });
});
