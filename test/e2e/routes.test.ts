/**
 * Where a `direct-tcpip` request goes (SPEC §2.1): a target's name with port 22 is its
 * SSH port; a host or address is dialed at the port asked, never remapped; the same
 * destination by name or by address gets the same decision; targets sharing a host are
 * told apart by what the user is granted. Real OpenSSH ssh and sshd on loopback
 * addresses of this test's own, with another service on port 22 of a target's host.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { cleanupAll } from '../helpers/cleanup.js';
import { startGateway, type Gateway } from '../helpers/gateway.js';
import { makeKeyPair, type KeyPair } from '../helpers/keys.js';
import { freePort } from '../helpers/ports.js';
import { describeRun, makeSshClient, type SshClient } from '../helpers/ssh-client.js';
import { osLogin, startSshd, type Sshd } from '../helpers/sshd.js';

/** db2's host: its sshd listens on a high port, and something else on port 22. */
const DB2_HOST = '127.0.0.71';
/** A host two targets share, one of them with an alternate address. */
const SVC_HOST = '127.0.0.72';
const SECRET = 'not-the-target-sshd';

/** A TCP service on HOST:22 that greets every connection with SECRET: what port 22 must not reach. */
async function startPort22Service(host: string): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.end(`${SECRET}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`this test needs ${host}:22 for a stand-in service: ${e.message}`)));
    server.listen({ host, port: 22 }, () => resolve());
  });
  return server;
}

describe('routes: ports, shared hosts, and policy check', () => {
  let gateway: Gateway;
  let port22: net.Server | undefined;
  let db2: Sshd;
  let svc: Sshd;
  const keys: Record<string, KeyPair> = {};
  const clients: Record<string, SshClient> = {};
  const users = ['alice', 'carol', 'erin', 'frank'] as const;

  before(async () => {
    gateway = await startGateway();
    for (const user of users) keys[user] = await makeKeyPair(gateway.workDir, user, `${user}@laptop`);
    const authorizedKeys = users.map((u) => keys[u].publicKey);
    port22 = await startPort22Service(DB2_HOST);
    db2 = await startSshd({ host: DB2_HOST, port: await freePort(DB2_HOST), authorizedKeys });
    svc = await startSshd({ host: SVC_HOST, port: await freePort(SVC_HOST), authorizedKeys });
    const user = (name: string, role: string) => `kind: User\nname: ${name}\nroles: [${role}]\nkeys:\n  - ${keys[name].publicKey}\n`;
    await gateway.apply([
      user('alice', 'db2-jump'),
      user('carol', 'db2-port22'),
      user('erin', 'svc-only'),
      user('frank', 'svc-both'),
      `kind: Target\nname: db2\nhost: ${DB2_HOST}\nport: ${db2.port}\n`,
      `kind: Target\nname: svc\nhost: ${SVC_HOST}\nport: ${svc.port}\n`,
      // The same host and port, but another way there: an alternate address first tried after it.
      `kind: Target\nname: svc-alt\nhost: ${SVC_HOST}\nport: ${svc.port}\nalternateHosts: [127.0.0.73]\n`,
      'kind: Role\nname: db2-jump\nallow:\n  - targets: [db2]\n    access: [jump]\n',
      'kind: Role\nname: db2-port22\nallow:\n  - targets: [db2]\n    access: [jump, forward]\n    ports: [22]\n',
      'kind: Role\nname: svc-only\nallow:\n  - targets: [svc]\n    access: [jump]\n',
      'kind: Role\nname: svc-both\nallow:\n  - targets: [svc, svc-alt]\n    access: [jump]\n',
    ].join('---\n'));
    for (const u of users) {
      clients[u] = makeSshClient({ dir: gateway.workDir, gateUser: u, gatePort: gateway.port, gateKey: keys[u].privateKeyPath });
    }
  }, { timeout: 60_000 });

  after(async () => {
    try {
      await gateway?.stop();
    } finally {
      await Promise.all([db2?.stop(), svc?.stop(), new Promise((r) => (port22 ? port22.close(r) : r(null)))]);
      await cleanupAll();
    }
  }, { timeout: 60_000 });

  /** `ssh -J gate [-p PORT] LOGIN@HOST echo WORD`: whether the jump reached an sshd that ran it. */
  async function jump(user: string, host: string, port: number | null, word: string): Promise<void> {
    const r = await clients[user].run(['-J', 'gate', ...(port === null ? [] : ['-p', String(port)]), `${osLogin}@${host}`, `echo ${word}`]);
    assert.equal(r.code, 0, `${user} -> ${host}${port === null ? '' : `:${port}`}\n${describeRun(r)}`);
    assert.match(r.stdout, new RegExp(`^${word}$`, 'm'));
  }

  /** `ssh -W HOST:PORT gate`: a raw channel, as -J opens it; resolves with what came back and the refusal, if any. */
  async function rawChannel(user: string, host: string, port: number): Promise<{ stdout: string; stderr: string }> {
    const r = await clients[user].run(['-W', `${host}:${port}`, 'gate'], { timeoutMs: 20_000, input: '' });
    return { stdout: r.stdout, stderr: r.stderr };
  }

  test('a rule without ports grants the target\'s SSH port, never port 22 of its host', { timeout: 60_000 }, async () => {
    await jump('alice', 'db2', null, 'by-name');
    await jump('alice', DB2_HOST, db2.port, 'by-address');

    const raw = await rawChannel('alice', DB2_HOST, 22);
    assert.doesNotMatch(raw.stdout, new RegExp(SECRET), 'port 22 of db2\'s host was reached');
    assert.match(raw.stderr, new RegExp(`jumpgate: alice may not reach ${DB2_HOST.replace(/\./g, '\\.')}:22 \\(no rule grants forward access to db2\\)`), raw.stderr);
    const denied = await gateway.waitForAuditEvent((e) => e.type === 'access.denied' && e.user === 'alice' && e.destination === `${DB2_HOST}:22`);
    assert.equal(denied.access, 'forward');
    assert.equal(denied.target, 'db2');
  });

  test('ports: [22] means the SSH port: by name and by address agree, and port 22 of the host stays closed', { timeout: 60_000 }, async () => {
    await jump('carol', 'db2', null, 'carol-by-name');
    await jump('carol', DB2_HOST, db2.port, 'carol-by-address');

    const raw = await rawChannel('carol', DB2_HOST, 22);
    assert.doesNotMatch(raw.stdout, new RegExp(SECRET), 'port 22 of db2\'s host was reached');
    assert.match(raw.stderr, /jumpgate: carol may not reach 127\.0\.0\.71:22 \(no rule grants port 22\)/, raw.stderr);
  });

  test('a request by address does not change when a target the user may not reach joins its host', { timeout: 60_000 }, async () => {
    await jump('erin', SVC_HOST, svc.port, 'before-the-decoy');
    // First by name, and on the same host and port: the inventory order must not matter.
    await gateway.apply(`kind: Target\nname: aaa-decoy\nhost: ${SVC_HOST}\nport: ${svc.port}\n`);
    await jump('erin', SVC_HOST, svc.port, 'after-the-decoy');
  });

  test('two granted targets that share a host but are reached differently refuse the address and name both', { timeout: 60_000 }, async () => {
    const r = await clients.frank.run(['-J', 'gate', '-p', String(svc.port), `${osLogin}@${SVC_HOST}`, 'echo should-not-run']);
    assert.notEqual(r.code, 0, describeRun(r));
    assert.doesNotMatch(r.stdout, /should-not-run/);
    assert.ok(
      r.stderr.includes(`jumpgate: frank may not reach ${SVC_HOST}:${svc.port} (ambiguous: ${SVC_HOST} is the host of svc, svc-alt, each reached differently; connect by target name)`),
      describeRun(r),
    );
    // By name, each is unambiguous.
    await jump('frank', 'svc', null, 'frank-svc');
    await jump('frank', 'svc-alt', null, 'frank-svc-alt');
  });

  test('policy check resolves a name or an address as the gateway does and prints the route', { timeout: 60_000 }, async () => {
    const byAddress = await gateway.jumpgate(['policy', 'check', 'carol', DB2_HOST, '--port', String(db2.port)]);
    assert.equal(byAddress.code, 0, describeRun(byAddress));
    assert.equal(byAddress.stdout,
      `route: target db2 (by host), port ${db2.port}, access jump, dialed directly\n` +
      'allow: role db2-port22, rule 1 (targets db2; access jump,forward; ports 22)\n');

    const byName = await gateway.jumpgate(['policy', 'check', 'carol', 'db2']);
    assert.equal(byName.code, 0, describeRun(byName));
    assert.match(byName.stdout, new RegExp(`^route: target db2 \\(by name\\), port ${db2.port}, access jump, dialed directly$`, 'm'));

    const port22 = await gateway.jumpgate(['policy', 'check', 'carol', DB2_HOST, '--port', '22']);
    assert.equal(port22.code, 1, describeRun(port22));
    assert.equal(port22.stdout, 'route: target db2 (by host), port 22, access forward, dialed directly\ndeny: no rule grants port 22\n');

    const json = await gateway.jumpgate(['policy', 'check', 'carol', DB2_HOST, '--port', '22', '-o', 'json']);
    assert.deepEqual(JSON.parse(json.stdout), {
      decision: 'deny', reason: 'no rule grants port 22',
      routes: [{ target: 'db2', resolvedBy: 'host', port: 22, access: 'forward', via: [] }],
    });

    const ambiguous = await gateway.jumpgate(['policy', 'check', 'frank', SVC_HOST, '--port', String(svc.port)]);
    assert.equal(ambiguous.code, 1, describeRun(ambiguous));
    assert.match(ambiguous.stdout, /^route: target svc \(by host\)/m);
    assert.match(ambiguous.stdout, /^route: target svc-alt \(by host\)/m);
    assert.match(ambiguous.stdout, /^deny: ambiguous: 127\.0\.0\.72 is the host of svc, svc-alt, each reached differently; connect by target name$/m);

    const wrongKind = await gateway.jumpgate(['policy', 'check', 'carol', 'db2', '--access', 'forward', '--port', '22']);
    assert.equal(wrongKind.code, 1, describeRun(wrongKind));
    assert.match(wrongKind.stdout, new RegExp(`^deny: port ${db2.port} is db2's SSH port: access jump, not forward$`, 'm'));
  });
});
