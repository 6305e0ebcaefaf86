/**
 * The side of the gateway that faces targets: alternate addresses, connect
 * timeouts, host keys of hops (pinned and learnt), hops that die, and the hop
 * credentials that must never leak. Real OpenSSH servers on loopback; the
 * connect timeout needs an address that swallows SYNs, which a pair of network
 * namespaces provides.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runClientIn } from '../helpers/chain-world.js';
import { cleanupAll } from '../helpers/cleanup.js';
import { settingsWith, startGateway, type AuditEvent, type Gateway } from '../helpers/gateway.js';
import { makeKeyPair, newKeyPair, type KeyPair } from '../helpers/keys.js';
import { addRoute, createNamespace, linkNamespaces, removeNamespaces, requireNetworkNamespaces, tcpProbe, writeNamespaceHosts } from '../helpers/netns.js';
import { canConnect, freePort } from '../helpers/ports.js';
import { describeRun, makeSshClient, type SshClient } from '../helpers/ssh-client.js';
import { osLogin, startSshd, type Sshd } from '../helpers/sshd.js';

/** `jumpgate: ...` as the OpenSSH client prints a refused channel, for assertion messages. */
function jumpgateLine(stderr: string): string {
  return stderr.split('\n').find((l) => l.includes('jumpgate:')) ?? '(no jumpgate: line in stderr)';
}

function eventsOf(gateway: Gateway, type: string, target: string): AuditEvent[] {
  return gateway.auditEvents().filter((e) => e.type === type && e.target === target);
}

describe('reaching targets: alternate hosts, timeouts, hop host keys, dead hops, secrets', () => {
  let gateway: Gateway;
  let alice: SshClient;
  let aliceKey: KeyPair;
  let hopKey: KeyPair;
  /** The final target behind the hops: trusts alice's own key (ProxyJump is end to end). */
  let db: Sshd;

  before(async () => {
    gateway = await startGateway();
    [aliceKey, hopKey] = await Promise.all([
      makeKeyPair(gateway.workDir, 'alice', 'alice@laptop'),
      makeKeyPair(gateway.workDir, 'hop_key', 'jumpgate@hops'),
    ]);
    db = await startSshd({ host: '127.0.0.1', authorizedKeys: [aliceKey.publicKey] });
    await gateway.apply(`kind: User
name: alice
roles: [ops]
keys:
  - ${aliceKey.publicKey}
---
kind: Credential
name: hop-key
type: privateKey
secretFile: ./hop_key
---
kind: Role
name: ops
allow:
  - targets: ["*"]
    access: [jump]
    ports: [22]
`);
    alice = makeSshClient({ dir: gateway.workDir, gateUser: 'alice', gatePort: gateway.port, gateKey: aliceKey.privateKeyPath });
  }, { timeout: 60_000 });

  after(async () => {
    try {
      await gateway?.stop();
    } finally {
      await db?.stop();
      await cleanupAll();
      await removeNamespaces();
    }
  }, { timeout: 60_000 });

  /** A hop reached directly from the gateway, logged into with hop-key, and a target behind it on `db`. */
  const hopAndTarget = (hop: string, hopPort: number, target: string, extraHop = ''): string => `kind: Target
name: ${hop}
host: 127.0.0.1
port: ${hopPort}
login: ${osLogin}
credential: hop-key
${extraHop}---
kind: Target
name: ${target}
host: 127.0.0.1
port: ${db.port}
via: ${hop}
`;

  test('an alternate host is tried when host refuses, and the failed attempt is audited', { timeout: 60_000 }, async () => {
    const alt = await startSshd({ host: '127.0.0.3', authorizedKeys: [aliceKey.publicKey] });
    try {
      assert.equal(await canConnect('127.0.0.2', alt.port), false, `something listens on 127.0.0.2:${alt.port}`);
      await gateway.apply(`kind: Target
name: db-alt
host: 127.0.0.2
port: ${alt.port}
alternateHosts: [127.0.0.3]
`);
      const r = await alice.run(['-J', 'gate', `${osLogin}@db-alt`, 'echo reached-the-alternate']);
      assert.equal(r.code, 0, describeRun(r));
      assert.match(r.stdout, /reached-the-alternate/);

      const failure = await gateway.waitForAuditEvent((e) => e.type === 'upstream.failure' && e.target === 'db-alt');
      assert.equal(failure.address, `127.0.0.2:${alt.port}`);
      assert.equal(failure.why, 'connection refused');
      assert.equal(typeof failure.hop, 'string');
      assert.equal(eventsOf(gateway, 'upstream.failure', 'db-alt').length, 1, 'only the refused address is a failure');
      const start = await gateway.waitForAuditEvent((e) => e.type === 'session.start' && e.target === 'db-alt');
      assert.equal(start.destination, `127.0.0.3:${alt.port}`);
    } finally {
      await alt.stop();
    }
  });

  test('when every address is down the refusal lists each attempt (SPEC §7)', { timeout: 60_000 }, async () => {
    const port = await freePort('127.0.0.2');
    assert.equal(await canConnect('127.0.0.2', port), false);
    assert.equal(await canConnect('127.0.0.3', port), false);
    await gateway.apply(`kind: Target
name: db-down
host: 127.0.0.2
port: ${port}
alternateHosts: [127.0.0.3]
`);
    const r = await alice.run(['-J', 'gate', `${osLogin}@db-down`, 'true']);
    assert.notEqual(r.code, 0, describeRun(r));
    assert.ok(
      r.stderr.includes(`jumpgate: db-down unreachable: 127.0.0.2:${port} connection refused; 127.0.0.3:${port} connection refused`),
      describeRun(r),
    );
    await gateway.waitForAuditEvent((e) => e.type === 'upstream.failure' && e.target === 'db-down' && e.address === `127.0.0.3:${port}`);
    const addresses = eventsOf(gateway, 'upstream.failure', 'db-down').map((e) => e.address);
    assert.deepEqual(addresses, [`127.0.0.2:${port}`, `127.0.0.3:${port}`]);
  });

  test('connectTimeout bounds an attempt to an address that never answers', { timeout: 90_000 }, async () => {
    await requireNetworkNamespaces();
    // The gateway runs in `gw`; 10.231.202.0/24 is routed to `sink`, which does
    // not forward, so SYNs to it vanish without an answer of any kind.
    const gw = await createNamespace('tgw');
    const sink = await createNamespace('sink');
    await linkNamespaces(gw, '10.231.201.1/30', sink, '10.231.201.2/30');
    await addRoute(gw, '10.231.202.0/24', '10.231.201.2');
    const silent = '10.231.202.9';
    assert.equal(await tcpProbe(gw, silent, 22, 1_500), 'timeout', `${silent}:22 must swallow SYNs from ${gw.name}`);

    const nsGateway = await startGateway({ netns: gw });
    try {
      const key = await makeKeyPair(nsGateway.workDir, 'alice', 'alice@laptop');
      await nsGateway.apply(`kind: User
name: alice
roles: [ops]
keys:
  - ${key.publicKey}
---
kind: Target
name: db-slow
host: ${silent}
port: 22
connectTimeout: 2s
---
kind: Role
name: ops
allow:
  - targets: [db-slow]
    access: [jump]
`);
      const client = makeSshClient({ dir: nsGateway.workDir, gateUser: 'alice', gateHost: '127.0.0.1', gatePort: nsGateway.port, gateKey: key.privateKeyPath });
      const started = Date.now();
      const r = await runClientIn(gw, 'ssh', client, ['-J', 'gate', `${osLogin}@db-slow`, 'true'], 45_000);
      const elapsed = Date.now() - started;
      assert.notEqual(r.code, 0, describeRun(r));
      assert.ok(r.stderr.includes(`jumpgate: db-slow unreachable: ${silent}:22 timed out after 2s`), describeRun(r));
      assert.ok(elapsed >= 1_900 && elapsed < 15_000, `refused after ${elapsed} ms, expected about 2 s`);

      const failure = await nsGateway.waitForAuditEvent((e) => e.type === 'upstream.failure' && e.target === 'db-slow');
      assert.equal(failure.address, `${silent}:22`);
      assert.equal(failure.why, 'timed out after 2s');

      const t = await nsGateway.jumpgate(['target', 'test', 'db-slow']);
      assert.equal(t.code, 1, describeRun(t));
      assert.match(t.stdout, new RegExp(`^FAIL\\s+db-slow\\s+${silent.replace(/\./g, '\\.')}:22\\s+timed out after 2s`, 'm'));
    } finally {
      await nsGateway.stop();
    }
  });

  test('a host name that resolves to loopback, link-local or the gateway\'s own address is refused unless the target names it', { timeout: 120_000 }, async () => {
    await requireNetworkNamespaces();
    // The gateway runs in `ngw`, whose /etc/hosts (ip netns exec) gives names to special
    // addresses; `nfar` next to it is an ordinary host that a name may reach.
    const gw = await createNamespace('ngw');
    const far = await createNamespace('nfar');
    await linkNamespaces(gw, '10.231.204.1/30', far, '10.231.204.2/30');
    writeNamespaceHosts(gw, [
      '127.0.0.1 localhost',
      '127.0.0.1 sneaky.test',
      '169.254.169.254 metadata.test',
      '10.231.204.1 own.test',
      '10.231.204.2 fine.test',
    ]);
    const nsGateway = await startGateway({ netns: gw });
    const key = await makeKeyPair(nsGateway.workDir, 'alice', 'alice@laptop');
    // sshds where each name leads, so a refusal is the gateway's and not a closed port.
    const [loopback, own, ordinary] = await Promise.all([
      startSshd({ netns: gw, host: '127.0.0.1', port: 2201, authorizedKeys: [key.publicKey] }),
      startSshd({ netns: gw, host: '10.231.204.1', port: 2202, authorizedKeys: [key.publicKey] }),
      startSshd({ netns: far, host: '10.231.204.2', port: 22, authorizedKeys: [key.publicKey] }),
    ]);
    try {
      const target = (name: string, host: string, port: number) => `kind: Target\nname: ${name}\nhost: ${host}\nport: ${port}\n`;
      await nsGateway.apply([
        `kind: User\nname: alice\nroles: [ops]\nkeys:\n  - ${key.publicKey}\n`,
        'kind: Role\nname: ops\nallow:\n  - targets: ["*"]\n    access: [jump]\n',
        target('loop-literal', '127.0.0.1', 2201),
        target('loop-localhost', 'localhost', 2201),
        target('loop-name', 'sneaky.test', 2201),
        target('metadata', 'metadata.test', 80),
        target('own-literal', '10.231.204.1', 2202),
        target('own-name', 'own.test', 2202),
        target('far-name', 'fine.test', 22),
      ].join('---\n'));
      const client = makeSshClient({ dir: nsGateway.workDir, gateUser: 'alice', gateHost: '127.0.0.1', gatePort: nsGateway.port, gateKey: key.privateKeyPath });
      const jump = (name: string) => runClientIn(gw, 'ssh', client, ['-J', 'gate', `${osLogin}@${name}`, `echo reached-${name}`], 45_000);

      // What a target names itself, by address or as localhost, and an ordinary name, are dialed.
      for (const name of ['loop-literal', 'loop-localhost', 'own-literal', 'far-name']) {
        const r = await jump(name);
        assert.equal(r.code, 0, `${name}: ${describeRun(r)}`);
        assert.match(r.stdout, new RegExp(`reached-${name}`));
      }

      const refusals: Array<[name: string, address: string, why: string]> = [
        ['loop-name', 'sneaky.test:2201', 'resolves to 127.0.0.1 (loopback addresses are refused unless a target names them)'],
        ['metadata', 'metadata.test:80', 'resolves to 169.254.169.254 (link-local addresses are refused unless a target names them)'],
        ['own-name', 'own.test:2202', 'resolves to 10.231.204.1 (the gateway\'s own addresses are refused unless a target names them)'],
      ];
      for (const [name, address, why] of refusals) {
        const r = await jump(name);
        assert.notEqual(r.code, 0, describeRun(r));
        assert.doesNotMatch(r.stdout, /reached-/);
        const expected = `jumpgate: ${name} unreachable: ${address} ${why}`;
        assert.ok(r.stderr.includes(expected), `expected: ${expected}\nactual:   ${jumpgateLine(r.stderr)}\n${describeRun(r)}`);
        const failure = await nsGateway.waitForAuditEvent((e) => e.type === 'upstream.failure' && e.target === name);
        assert.equal(failure.address, address);
        assert.equal(failure.why, why);
      }
      const t = await nsGateway.jumpgate(['target', 'test', 'loop-name']);
      assert.equal(t.code, 1, describeRun(t));
      assert.match(t.stdout, /^FAIL\s+loop-name\s+sneaky\.test:2201\s+resolves to 127\.0\.0\.1 /m);
    } finally {
      try {
        await nsGateway.stop();
      } finally {
        await Promise.all([loopback.stop(), own.stop(), ordinary.stop()]);
      }
    }
  });

  test('a pinned hostKey that does not match the hop refuses the channel and audits both fingerprints', { timeout: 60_000 }, async () => {
    const hop = await startSshd({ host: '127.0.0.1', authorizedKeys: [hopKey.publicKey] });
    try {
      const wrong = (await newKeyPair('not_the_hop_key')).fingerprint;
      await gateway.apply(hopAndTarget('pin-hop', hop.port, 'db-pin', `hostKey: ${wrong}\n`));
      const r = await alice.run(['-J', 'gate', `${osLogin}@db-pin`, 'true']);
      assert.notEqual(r.code, 0, describeRun(r));
      const expected = `jumpgate: db-pin unreachable: hop pin-hop 127.0.0.1:${hop.port} host key mismatch: expected ${wrong}, presented ${hop.hostKeyFingerprint}`;
      assert.ok(r.stderr.includes(expected), `expected: ${expected}\nactual:   ${jumpgateLine(r.stderr)}\n${describeRun(r)}`);

      const mismatch = await gateway.waitForAuditEvent((e) => e.type === 'hostkey.mismatch' && e.target === 'db-pin');
      assert.equal(mismatch.hop, 'pin-hop');
      assert.equal(mismatch.expected, wrong);
      assert.equal(mismatch.presented, hop.hostKeyFingerprint);
      const failure = await gateway.waitForAuditEvent((e) => e.type === 'upstream.failure' && e.target === 'db-pin');
      assert.equal(failure.hop, 'pin-hop');
      assert.equal(failure.address, `127.0.0.1:${hop.port}`);

      // Pinning the key the hop really has makes the chain work.
      await gateway.apply(hopAndTarget('pin-hop', hop.port, 'db-pin', `hostKey: ${hop.hostKeyFingerprint}\n`));
      const ok = await alice.run(['-J', 'gate', `${osLogin}@db-pin`, 'echo pinned-ok']);
      assert.equal(ok.code, 0, describeRun(ok));
      assert.match(ok.stdout, /pinned-ok/);
    } finally {
      await hop.stop();
    }
  });

  test('a hop whose learnt host key changes is refused until jumpgate target trust', { timeout: 90_000 }, async () => {
    const firstKey = await newKeyPair('ssh_host_ed25519_key', 'first-host-key');
    const secondKey = await newKeyPair('ssh_host_ed25519_key', 'second-host-key');
    let hop: Sshd = await startSshd({ host: '127.0.0.1', hostKey: firstKey, authorizedKeys: [hopKey.publicKey] });
    await gateway.apply(hopAndTarget('tofu-hop', hop.port, 'db-tofu'));

    const first = await alice.run(['-J', 'gate', `${osLogin}@db-tofu`, 'echo first-use']);
    assert.equal(first.code, 0, describeRun(first));
    assert.match(first.stdout, /first-use/);

    // The hop is rebuilt: same address and port, a new host key.
    await hop.crash();
    hop = await startSshd({ host: '127.0.0.1', port: hop.port, hostKey: secondKey, authorizedKeys: [hopKey.publicKey] });

    const refused = await alice.run(['-J', 'gate', `${osLogin}@db-tofu`, 'true']);
    assert.notEqual(refused.code, 0, describeRun(refused));
    const expected =
      `jumpgate: db-tofu unreachable: hop tofu-hop 127.0.0.1:${hop.port} host key mismatch: ` +
      `expected ${firstKey.fingerprint}, presented ${secondKey.fingerprint} (if the change is expected: jumpgate target trust tofu-hop)`;
    assert.ok(refused.stderr.includes(expected), `expected: ${expected}\nactual:   ${jumpgateLine(refused.stderr)}\n${describeRun(refused)}`);
    const mismatch = await gateway.waitForAuditEvent((e) => e.type === 'hostkey.mismatch' && e.target === 'db-tofu');
    assert.equal(mismatch.hop, 'tofu-hop');
    assert.equal(mismatch.expected, firstKey.fingerprint);
    assert.equal(mismatch.presented, secondKey.fingerprint);
    const failure = await gateway.waitForAuditEvent((e) => e.type === 'upstream.failure' && e.target === 'db-tofu');
    assert.equal(failure.hop, 'tofu-hop');

    const trust = await gateway.jumpgate(['target', 'trust', 'tofu-hop']);
    assert.equal(trust.code, 0, describeRun(trust));
    assert.ok(trust.stdout.includes(secondKey.fingerprint), describeRun(trust));

    const again = await alice.run(['-J', 'gate', `${osLogin}@db-tofu`, 'echo trusted-again']);
    assert.equal(again.code, 0, describeRun(again));
    assert.match(again.stdout, /trusted-again/);
  });

  test('a hop that dies ends its sessions, fails the next request naming the hop, and is dialed anew', { timeout: 120_000 }, async () => {
    let hop = await startSshd({ host: '127.0.0.1', authorizedKeys: [hopKey.publicKey] });
    await gateway.apply(hopAndTarget('dead-hop', hop.port, 'db-dead'));

    const session = alice.spawn(['-J', 'gate', `${osLogin}@db-dead`, 'echo started; sleep 60']);
    try {
      const deadline = Date.now() + 30_000;
      while (!session.stdout().includes('started')) {
        assert.ok(session.isAlive() && Date.now() < deadline, `the session did not start:\n${session.stderr()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await hop.crash();

      const ended = await Promise.race([
        session.exited,
        new Promise<null>((r) => setTimeout(() => r(null), 20_000)),
      ]);
      assert.ok(ended, 'the session through the dead hop was still open 20 s after the hop died');
      assert.notEqual(ended.code, 0, describeRun(ended));
    } finally {
      await session.kill();
    }

    const next = await alice.run(['-J', 'gate', `${osLogin}@db-dead`, 'true']);
    assert.notEqual(next.code, 0, describeRun(next));
    const expected = `jumpgate: db-dead unreachable: hop dead-hop 127.0.0.1:${hop.port} connection refused`;
    assert.ok(next.stderr.includes(expected), `expected: ${expected}\nactual:   ${jumpgateLine(next.stderr)}\n${describeRun(next)}`);

    const t = await gateway.jumpgate(['target', 'test', 'db-dead']);
    assert.equal(t.code, 1, describeRun(t));
    assert.match(t.stdout, new RegExp(`^FAIL\\s+dead-hop\\s+127\\.0\\.0\\.1:${hop.port}\\s+connection refused`, 'm'));

    // Back on the same port with the same host key: the next request dials it again.
    hop = await startSshd({ host: '127.0.0.1', port: hop.port, hostKey: hop.hostKey, authorizedKeys: [hopKey.publicKey] });
    const back = await alice.run(['-J', 'gate', `${osLogin}@db-dead`, 'echo hop-is-back']);
    assert.equal(back.code, 0, describeRun(back));
    assert.match(back.stdout, /hop-is-back/);

    // Checked last so the steps above run whatever happens here: the session
    // that the dead hop cut off is recorded as ended (SPEC §6 session.end).
    const starts = eventsOf(gateway, 'session.start', 'db-dead');
    assert.ok(starts.length >= 1);
    const cutOff = starts[0].session;
    await gateway.waitForAuditEvent((e) => e.type === 'session.end' && e.session === cutOff, 10_000).catch((e: Error) => {
      throw new Error(`the session cut off by the dead hop (${String(cutOff)}) has no session.end event: ${e.message}`);
    });
  });

  test('a jump host without a login is refused at apply time, naming the target and login', { timeout: 60_000 }, async () => {
    const file = gateway.writeFile('nologin-hop.yaml', `kind: Target
name: nologin-hop
host: 127.0.0.1
port: 2
credential: hop-key
---
kind: Target
name: db-behind-nologin
host: 127.0.0.1
port: ${db.port}
via: nologin-hop
`);
    const r = await gateway.jumpgate(['apply', '-f', file]);
    assert.equal(r.code, 2, describeRun(r));
    assert.ok(
      r.stderr.includes(`${file}:1: Target nologin-hop: is the jump host (via) of db-behind-nologin but has no login: the gateway logs into a jump host with its login and credential`),
      describeRun(r),
    );
    const listed = await gateway.jumpgate(['get', 'targets', '-o', 'json']);
    assert.doesNotMatch(listed.stdout, /nologin-hop/, 'nothing of the file was applied');
    // A target that is only ever jumped to needs no login: ProxyJump is end to end.
    await gateway.apply(`kind: Target\nname: db-no-login\nhost: 127.0.0.1\nport: ${db.port}\n`);
    const ok = await alice.run(['-J', 'gate', `${osLogin}@db-no-login`, 'echo proxyjump-needs-no-login']);
    assert.equal(ok.code, 0, describeRun(ok));
  });

  test('the gateway\'s own connections to hops and targets offer only ssh.algorithms', { timeout: 120_000 }, async () => {
    // Narrowed to two ciphers; the sshds that speak only aes128-ctr (in the modern set,
    // but not in the narrowed list) must then be out of reach for the gateway itself.
    const narrow = await startGateway({
      settings: settingsWith([[['ssh', 'algorithms'], { ciphers: ['aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com'] }]]),
    });
    const [ctrOnly, gcm] = await Promise.all([
      startSshd({ host: '127.0.0.1', authorizedKeys: [hopKey.publicKey], extraConfig: ['Ciphers aes128-ctr'] }),
      startSshd({ host: '127.0.0.1', authorizedKeys: [hopKey.publicKey], extraConfig: ['Ciphers aes256-gcm@openssh.com'] }),
    ]);
    try {
      const loggedIn = (name: string, port: number, via = '') => `kind: Target
name: ${name}
host: 127.0.0.1
port: ${port}
login: ${osLogin}
credential: hop-key
${via ? `via: ${via}\n` : ''}`;
      await narrow.apply([
        `kind: User\nname: alice\nroles: [ops]\nkeys:\n  - ${aliceKey.publicKey}\n`,
        `kind: Credential\nname: hop-key\ntype: privateKey\nsecretFile: ${hopKey.privateKeyPath}\n`,
        'kind: Role\nname: ops\nallow:\n  - targets: ["*"]\n    access: [jump, session]\n',
        loggedIn('ctr-hop', ctrOnly.port),
        loggedIn('gcm-hop', gcm.port),
        `kind: Target\nname: db-via-ctr\nhost: 127.0.0.1\nport: ${db.port}\nvia: ctr-hop\n`,
        `kind: Target\nname: db-via-gcm\nhost: 127.0.0.1\nport: ${db.port}\nvia: gcm-hop\n`,
      ].join('---\n'));
      const client = makeSshClient({ dir: narrow.workDir, gateUser: 'alice', gatePort: narrow.port, gateKey: aliceKey.privateKeyPath });

      // A hop: the positive control first.
      const viaGcm = await client.run(['-J', 'gate', `${osLogin}@db-via-gcm`, 'echo through-gcm-hop']);
      assert.equal(viaGcm.code, 0, describeRun(viaGcm));
      const viaCtr = await client.run(['-J', 'gate', `${osLogin}@db-via-ctr`, 'true']);
      assert.notEqual(viaCtr.code, 0, describeRun(viaCtr));
      assert.match(viaCtr.stderr, new RegExp(`jumpgate: db-via-ctr unreachable: hop ctr-hop 127\\.0\\.0\\.1:${ctrOnly.port} SSH handshake failed: .*cipher`, 'i'), describeRun(viaCtr));

      // A proxied session: the gateway logs into the target itself.
      const sessionGcm = await client.run(['alice+gcm-hop@gate', 'echo proxied-over-gcm']);
      assert.equal(sessionGcm.code, 0, describeRun(sessionGcm));
      assert.match(sessionGcm.stdout, /proxied-over-gcm/);
      const sessionCtr = await client.run(['alice+ctr-hop@gate', 'echo should-not-run']);
      assert.notEqual(sessionCtr.code, 0, describeRun(sessionCtr));
      assert.doesNotMatch(sessionCtr.stdout, /should-not-run/);
      assert.match(`${sessionCtr.stdout}${sessionCtr.stderr}`, /jumpgate: ctr-hop unreachable: 127\.0\.0\.1:\d+ SSH handshake failed: .*cipher/i, describeRun(sessionCtr));
    } finally {
      try {
        await narrow.stop();
      } finally {
        await Promise.all([ctrOnly.stop(), gcm.stop()]);
      }
    }
  });

  test('a hop\'s private key never appears in the store, the audit log, the gateway log or get credentials', { timeout: 90_000 }, async () => {
    const secretKey = await makeKeyPair(gateway.workDir, 'secret_hop_key', 'jumpgate@secret-hop');
    const hop = await startSshd({ host: '127.0.0.1', authorizedKeys: [secretKey.publicKey] });
    try {
      await gateway.apply(`kind: Credential
name: secret-hop-key
type: privateKey
secretFile: ./secret_hop_key
---
kind: Target
name: secret-hop
host: 127.0.0.1
port: ${hop.port}
login: ${osLogin}
credential: secret-hop-key
---
kind: Target
name: db-secret
host: 127.0.0.1
port: ${db.port}
via: secret-hop
`);
      // Use the credential: a session through the hop, and target test.
      const r = await alice.run(['-J', 'gate', `${osLogin}@db-secret`, 'echo through-secret-hop']);
      assert.equal(r.code, 0, describeRun(r));
      assert.match(r.stdout, /through-secret-hop/);
      const tested = await gateway.jumpgate(['target', 'test', 'db-secret']);
      assert.equal(tested.code, 0, describeRun(tested));

      // The body of both hop keys this gateway holds (secret-hop-key and hop-key).
      const bodyLines = [secretKey, hopKey].flatMap((key) => {
        const pem = fs.readFileSync(key.privateKeyPath, 'utf8');
        const lines = pem.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('-----'));
        assert.ok(lines.length >= 4, `unexpected private key file:\n${pem}`);
        return lines;
      });

      const outputs: Array<[string, string | Buffer]> = [];
      for (const args of [
        ['get', 'credentials', '-o', 'json'],
        ['get', 'credentials', '-o', 'yaml'],
        ['get', 'credentials'],
        ['get', 'credentials', 'secret-hop-key', '-o', 'yaml'],
      ]) {
        const out = await gateway.jumpgate(args);
        assert.equal(out.code, 0, describeRun(out));
        outputs.push([`jumpgate ${args.join(' ')}`, `${out.stdout}\n${out.stderr}`]);
      }
      // What is shown instead: the public half, so operators can install it.
      const listed = await gateway.jumpgate(['get', 'credentials', '-o', 'json']);
      const shown = (JSON.parse(listed.stdout) as Array<{ name: string; publicKey?: string }>).find((c) => c.name === 'secret-hop-key');
      assert.equal(shown?.publicKey, secretKey.publicKey.split(' ').slice(0, 2).join(' '), listed.stdout);

      outputs.push([`jumpgate target test db-secret`, `${tested.stdout}\n${tested.stderr}`]);
      outputs.push(['the gateway\'s stderr', gateway.stderrText()]);
      outputs.push(['audit.log', fs.readFileSync(gateway.auditLogPath())]);
      const storeFile = path.join(gateway.dataDir, 'jumpgate.db');
      assert.ok(fs.existsSync(storeFile), `${storeFile} does not exist`);
      for (const file of [storeFile, `${storeFile}-wal`, `${storeFile}-shm`]) {
        if (fs.existsSync(file)) outputs.push([path.basename(file), fs.readFileSync(file)]);
      }

      for (const [where, content] of outputs) {
        const text = Buffer.isBuffer(content) ? content.toString('latin1') : content;
        for (const line of bodyLines) {
          assert.ok(!text.includes(line), `${where} holds a line of the private key: ${line}`);
        }
      }
    } finally {
      await hop.stop();
    }
  });
});
