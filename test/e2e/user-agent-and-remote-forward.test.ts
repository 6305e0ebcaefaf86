/**
 * The user's own agent and remote forwarding through proxied sessions (SPEC §12, §2.3):
 * a `type: agent` target logs in with the key in alice's forwarded agent (`ssh -A`), which
 * is relayed on into the session only where her rule says `agentForwarding: true`; `ssh -R`
 * binds on the target, and only where the rule says `remoteForward: true`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startGateway, type AuditEvent, type Gateway } from '../helpers/gateway.js';
import { makeKeyPair, type KeyPair } from '../helpers/keys.js';
import { freePort } from '../helpers/ports.js';
import { runOk, spawnTracked, type RunResult, type TrackedProcess } from '../helpers/processes.js';
import { describeRun, makeSshClient, type SshClient } from '../helpers/ssh-client.js';
import { osLogin, startSshd, type Sshd } from '../helpers/sshd.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { startEchoServer, type EchoServer } from '../helpers/tcp-echo.js';

interface Cast {
  gateway: Gateway;
  aliceKey: KeyPair;
  alice: SshClient;
  agentSocket: string;
  targets: Record<'db1' | 'db2' | 'r1' | 'r2' | 'k1', Sshd>;
  echo: EchoServer;
  stop(): Promise<void>;
}

async function startCast(): Promise<Cast> {
  const gateway = await startGateway();
  const dir = gateway.workDir;
  const [aliceKey, dbKey] = [await makeKeyPair(dir, 'alice', 'alice@laptop'), await makeKeyPair(dir, 'db-key', 'jumpgate-credential')];
  // db1 and db2 trust alice's own key only; r1 and r2 the key the gateway holds.
  const targets = {
    db1: await startSshd({ authorizedKeys: [aliceKey.publicKey] }),
    db2: await startSshd({ authorizedKeys: [aliceKey.publicKey] }),
    r1: await startSshd({ authorizedKeys: [dbKey.publicKey] }),
    r2: await startSshd({ authorizedKeys: [dbKey.publicKey] }),
    k1: await startSshd({ authorizedKeys: [dbKey.publicKey] }),
  };
  const agentSocket = path.join(dir, 'agent.sock');
  const agent: TrackedProcess = spawnTracked('ssh-agent', ['-D', '-a', agentSocket]);
  const deadline = Date.now() + 10_000;
  while (!fs.existsSync(agentSocket)) {
    if (Date.now() > deadline) throw new Error(`ssh-agent did not listen\n${agent.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await runOk('ssh-add', [aliceKey.privateKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: agentSocket } });
  const target = (name: string, sshd: Sshd, credential: string) => `kind: Target
name: ${name}
host: 127.0.0.1
port: ${sshd.port}
login: ${osLogin}
credential: ${credential}
`;
  await gateway.apply(`kind: Credential
name: own-agent
type: agent
---
kind: Credential
name: db-key
type: privateKey
secretFile: ./db-key
---
kind: User
name: alice
roles: [dev]
keys:
  - ${aliceKey.publicKey}
---
${target('db1', targets.db1, 'own-agent')}---
${target('db2', targets.db2, 'own-agent')}---
${target('r1', targets.r1, 'db-key')}---
${target('r2', targets.r2, 'db-key')}---
${target('k1', targets.k1, 'db-key')}---
kind: Role
name: dev
allow:
  - targets: [db1]
    access: [session]
    agentForwarding: true
  - targets: [db2]
    access: [session]
  - targets: [r1]
    access: [session]
    remoteForward: true
  - targets: [r2]
    access: [session]
  - targets: [k1]
    access: [session]
    agentForwarding: true
`);
  const echo = await startEchoServer();
  return {
    gateway, aliceKey, agentSocket, targets, echo,
    alice: makeSshClient({ dir, gateUser: 'alice', gatePort: gateway.port, gateKey: aliceKey.privateKeyPath, gateLogLevel: 'ERROR' }),
    async stop() {
      try {
        await gateway.stop();
      } finally {
        await echo.stop();
        await agent.kill();
        await Promise.all(Object.values(targets).map((t) => t.stop()));
      }
    },
  };
}

function newSince(g: { auditEvents(): AuditEvent[] }): (e: AuditEvent) => boolean {
  const seen = new Set(g.auditEvents().map((e) => e.id));
  return (e) => !seen.has(e.id);
}

describe("the user's own agent (type: agent, agentForwarding) and ssh -R (remoteForward)", () => {
  const c = suiteFixture(startCast);
  const withAgent = (user: string, command: string, extra: string[] = []): Promise<RunResult> =>
    c.alice.run(['-A', '-o', `IdentityAgent=${c.agentSocket}`, ...extra, '-p', String(c.gateway.port), `${user}@127.0.0.1`, command]);

  test("ssh -A alice+db1: the gateway logs in with alice's own key, and ssh-add -l on db1 lists it", { timeout: 60_000 }, async () => {
    const r = await withAgent('alice+db1', 'ssh-add -l');
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, new RegExp(`^256 ${c.aliceKey.fingerprint.replace(/[+/]/g, '\\$&')} alice@laptop \\(ED25519\\)$`, 'm'), describeRun(r));
    assert.doesNotMatch(r.stderr, /jumpgate:/, describeRun(r));
    // db1 trusts only alice's key: its log names the key the gateway logged in with.
    assert.match(c.targets.db1.stderrText(), new RegExp(`Accepted publickey for ${osLogin} from \\S+ port \\d+ ssh2: ED25519 ${c.aliceKey.fingerprint.replace(/[+/]/g, '\\$&')}`));
  });

  test('where the rule does not allow agent forwarding, the login still uses the agent, but ssh-add -l fails, with a message and access.denied', { timeout: 60_000 }, async () => {
    const fresh = newSince(c.gateway);
    const r = await withAgent('alice+db2', 'ssh-add -l; echo "ssh-add status $?"');
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /^ssh-add status 2$/m, describeRun(r));
    assert.match(r.stderr, /^jumpgate: alice may not forward an agent to db2 \(role dev, rule 2 does not allow agent forwarding\)\r?$/m, describeRun(r));
    const denied = await c.gateway.waitForAuditEvent((e) => fresh(e) && e.type === 'access.denied' && e.access === 'agentForwarding');
    assert.equal(denied.target, 'db2');
    assert.match(c.targets.db2.stderrText(), new RegExp(`ssh2: ED25519 ${c.aliceKey.fingerprint.replace(/[+/]/g, '\\$&')}`));
  });

  test('agentForwarding: true relays the agent into a session the gateway logged into with its stored key', { timeout: 60_000 }, async () => {
    const r = await withAgent('alice+k1', 'ssh-add -l');
    assert.equal(r.code, 0, describeRun(r));
    assert.ok(r.stdout.includes(c.aliceKey.fingerprint), describeRun(r));
    assert.doesNotMatch(c.targets.k1.stderrText(), new RegExp(c.aliceKey.fingerprint.replace(/[+/]/g, '\\$&')), 'k1 was logged into with the stored key, not alice\'s');
  });

  test('a type: agent target without ssh -A is refused with a message saying so', { timeout: 60_000 }, async () => {
    const r = await c.alice.run(['-p', String(c.gateway.port), 'alice+db1@127.0.0.1', 'true']);
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stderr, /^jumpgate: db1 logs in with your own key: connect with ssh -A$/m, describeRun(r));
  });

  const remoteCommand = (port: number) =>
    `ss -ltnpH "sport = :${port}"; exec 3<>/dev/tcp/127.0.0.1/${port}; echo ping-through-R >&3; head -n1 <&3`;

  test('ssh -R where remoteForward: true binds on the target (sshd listens, not the gateway) and relays to the client side', { timeout: 60_000 }, async () => {
    const fresh = newSince(c.gateway);
    const port = await freePort();
    const r = await c.alice.run(['-o', 'ExitOnForwardFailure=yes', '-R', `127.0.0.1:${port}:127.0.0.1:${c.echo.port}`, '-p', String(c.gateway.port), 'alice+r1@127.0.0.1', remoteCommand(port)]);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /^ping-through-R$/m, describeRun(r));
    const listener = r.stdout.split('\n').find((l) => l.includes(`:${port}`)) ?? '';
    assert.match(listener, /users:\(\("sshd"/, `the listener is the target's sshd: ${listener}`);
    assert.doesNotMatch(listener, new RegExp(`pid=${c.gateway.pid()},`), 'not the gateway');
    const start = await c.gateway.waitForAuditEvent((e) => fresh(e) && e.type === 'session.start' && e.kind === 'forward');
    assert.equal(start.target, 'r1');
    assert.equal(start.destination, `127.0.0.1:${port} on r1 (ssh -R)`);
    await c.gateway.waitForAuditEvent((e) => fresh(e) && e.type === 'session.end' && e.session === start.session);
  });

  test('ssh -R where the rule does not say remoteForward fails, with access.denied', { timeout: 60_000 }, async () => {
    const fresh = newSince(c.gateway);
    const port = await freePort();
    const r = await c.alice.run(['-o', 'ExitOnForwardFailure=yes', '-R', `127.0.0.1:${port}:127.0.0.1:${c.echo.port}`, '-p', String(c.gateway.port), 'alice+r2@127.0.0.1', remoteCommand(port)]);
    assert.equal(r.code, 255, describeRun(r));
    assert.match(r.stderr, /remote port forwarding failed for listen port/, describeRun(r));
    const denied = await c.gateway.waitForAuditEvent((e) => fresh(e) && e.type === 'access.denied' && e.access === 'remoteForward');
    assert.equal(denied.target, 'r2');
    assert.equal(denied.reason, 'role dev, rule 4 does not allow remote forwarding');
  });
});
