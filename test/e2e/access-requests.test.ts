/**
 * Just-in-time access requests (SPEC §2.7, §12) end to end: alice asks for the requestable
 * role dba over SSH exec (stock OpenSSH client), carol (an approver) approves it in the
 * console (Chromium), alice reaches db1 (a real sshd) with ProxyJump for the granted time
 * only, and the grant expires by itself with one `request.expire`. alice can never approve
 * her own request; every step is in the audit trail and the approval reaches the webhook
 * sink as an alert.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { settingsWith, startGateway, type AuditEvent, type Gateway } from '../helpers/gateway.js';
import { ApiClient, errorOf } from '../helpers/http-api.js';
import { freePort } from '../helpers/ports.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { makeKeyPair } from '../helpers/keys.js';
import { osLogin, startSshd, type Sshd } from '../helpers/sshd.js';
import { makeSshClient, describeRun, type SshClient } from '../helpers/ssh-client.js';
import { assertConsoleBuilt, launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { closeWebhookReceivers, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { makeTempDir } from '../helpers/tmp.js';
import { repoRoot } from '../helpers/paths.js';

const PASSWORDS = { alice: 'alice-requests-password-1', carol: 'carol-requests-password-2' };
/** Long enough for one ssh -J and a policy check after the approval; short enough to wait out. */
const GRANT = '8s';

interface Cast {
  gateway: Gateway;
  base: string;
  db1: Sshd;
  alice: SshClient;
  browser: TestBrowser;
  hook: WebhookReceiver;
  stop(): Promise<void>;
}

async function startCast(): Promise<Cast> {
  assertConsoleBuilt();
  const hook = await startWebhookReceiver();
  const secretFile = path.join(makeTempDir('pager-secret'), 'pager.secret');
  fs.writeFileSync(secretFile, 'pager-shared-secret\n', { mode: 0o600 });
  const httpPort = await freePort();
  const gateway = await startGateway({
    settings: settingsWith([
      [['http', 'listen'], `127.0.0.1:${httpPort}`],
      [['audit', 'sinks'], [{ name: 'pager', type: 'webhook', url: hook.url('/pager'), secretFile, events: false }]],
      // The documented way to page on access requests: one alert for every step of every request.
      [['audit', 'alerts'], [{ name: 'access-requests', on: 'request', notify: ['pager'] }]],
    ]),
  });
  const aliceKey = await makeKeyPair(gateway.workDir, 'alice', 'alice@laptop');
  const db1 = await startSshd({ authorizedKeys: [aliceKey.publicKey] });
  await gateway.apply(`kind: Target
name: db1
host: 127.0.0.1
port: ${db1.port}
---
kind: Role
name: dba
allow:
  - targets: [db1]
    access: [jump]
    ports: [22]
requestable: {maxDuration: 10s, approvers: [sec-leads]}
---
kind: Role
name: sec-leads
---
kind: User
name: alice
keys:
  - ${aliceKey.publicKey}
---
kind: User
name: carol
roles: [sec-leads]
`);
  await gateway.setPasswords(PASSWORDS);
  const browser = await launchBrowser();
  const alice = makeSshClient({ dir: gateway.workDir, gateUser: 'alice', gatePort: gateway.port, gateKey: aliceKey.privateKeyPath });
  return {
    gateway, base: `http://127.0.0.1:${httpPort}`, db1, alice, browser, hook,
    stop: async () => {
      await browser.close();
      try { await gateway.stop(); } finally { await db1.stop(); await closeWebhookReceivers(); }
    },
  };
}

describe('access requests: SSH exec, console approval, a grant that ends by itself (SPEC §12)', () => {
  const c = suiteFixture(startCast);
  let requestId = '';

  const reachDb1 = () => c.alice.run(['-J', 'gate', `${osLogin}@db1`, 'echo reached-db1'], { timeoutMs: 30_000 });
  const requestEvents = (type: string): AuditEvent[] => c.gateway.auditEvents().filter((e) => e.type === type && e.request === requestId);

  test('before any request alice may not reach db1, and targets says so', { timeout: 60_000 }, async () => {
    const denied = await reachDb1();
    assert.notEqual(denied.code, 0, describeRun(denied));
    assert.match(denied.stderr, /jumpgate: alice may not reach db1:22/, describeRun(denied));
    const targets = await c.alice.run(['gate', 'targets']);
    assert.equal(targets.code, 0, describeRun(targets));
    assert.match(targets.stdout, /no target is granted to alice now/);
  });

  test('hostile or invalid requests are refused with the reason and nothing is filed; other commands still find no shell', { timeout: 90_000 }, async () => {
    const cases: [string[], number, RegExp][] = [
      [['request', 'dba', '--for', '1h', '--reason', 'too-long'], 2, /role dba may be requested for at most 10s/],
      [['request', 'sec-leads', '--for', '5s', '--reason', 'x'], 2, /no requestable role named sec-leads/],
      [['request', 'dba', '--for', '5s'], 2, /a reason is required/],
      [['request', 'dba', '--for', 'soon', '--reason', 'x'], 2, /--for must be a duration/],
      [['request', '../../etc', '--for', '5s', '--reason', 'x'], 2, /no requestable role named \(invalid name\)/],
      [['request', 'dba', '--for', '5s', '--reason', `'bell\x07'`], 2, /the reason must be printable text on one line/],
      [['id'], 1, /there is no shell on the gateway/],
    ];
    for (const [args, code, message] of cases) {
      const r = await c.alice.run(['gate', ...args]);
      assert.equal(r.code, code, describeRun(r));
      assert.match(r.stderr, message, describeRun(r));
    }
    assert.equal(c.gateway.auditEvents().filter((e) => e.type === 'request.create').length, 0);
  });

  test('alice files a request over SSH exec; it is pending, listed, and a second one for dba is refused', { timeout: 60_000 }, async () => {
    const filed = await c.alice.run(['gate', 'request', 'dba', '--for', GRANT, '--reason', 'INC-42', 'db1', 'is', 'down']);
    assert.equal(filed.code, 0, describeRun(filed));
    const id = /request ([0-9a-f]{10}) filed: role dba for 8s \(INC-42 db1 is down\)/.exec(filed.stdout)?.[1];
    assert.ok(id, filed.stdout);
    requestId = id;
    assert.match(filed.stdout, /a holder of role sec-leads approves it/);
    const created = await c.gateway.waitForAuditEvent((e) => e.type === 'request.create' && e.request === requestId);
    assert.deepEqual([created.user, created.role, created.reason, created.duration, created.until], ['alice', 'dba', 'INC-42 db1 is down', '8s', null]);

    const again = await c.alice.run(['gate', 'request', 'dba', '--for', '5s', '--reason', 'again']);
    assert.equal(again.code, 1, describeRun(again));
    assert.match(again.stderr, /alice has a pending request for role dba already/);
    const mine = await c.alice.run(['gate', 'requests']);
    assert.match(mine.stdout, new RegExp(`${requestId}  dba  8s  pending  INC-42 db1 is down`));
    const listed = await c.gateway.jumpgate(['request', 'list']);
    assert.equal(listed.code, 0, describeRun(listed));
    assert.match(listed.stdout, new RegExp(`${requestId}\\s+alice\\s+dba\\s+8s\\s+pending`));

    const pending = await reachDb1();
    assert.notEqual(pending.code, 0, `a pending request grants nothing\n${describeRun(pending)}`);
  });

  test('alice cannot approve her own request (403); the request stays pending', { timeout: 60_000 }, async () => {
    const api = new ApiClient({ base: c.base });
    assert.equal((await api.signIn('alice', PASSWORDS.alice)).status, 200);
    const mine = await api.request('GET', '/api/v1/requests');
    assert.equal(mine.status, 200);
    assert.deepEqual((mine.body as { id: string; mayDecide: boolean }[]).map((r) => [r.id, r.mayDecide]), [[requestId, false]]);
    const approve = await api.request('POST', `/api/v1/requests/${requestId}/approve`, { reason: 'self' });
    assert.equal(approve.status, 403, approve.text);
    assert.equal(errorOf(approve), `jumpgate: alice may not approve their own request ${requestId}; someone holding an approver role must`);
    const stillPending = await c.gateway.jumpgate(['request', 'list', '-o', 'json']);
    assert.deepEqual((JSON.parse(stillPending.stdout) as { id: string; status: string }[]).map((r) => [r.id, r.status]), [[requestId, 'pending']]);
    assert.equal(requestEvents('request.approve').length, 0);
  });

  test('carol approves it in the console; alice then reaches db1 and policy check names the request and its end', { timeout: 90_000 }, async () => {
    const context = await c.browser.browser.newContext({ viewport: { width: 1280, height: 860 } });
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      await page.goto(c.base);
      await page.getByLabel('User').fill('carol');
      await page.getByLabel('Password').fill(PASSWORDS.carol);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('link', { name: 'Access requests' }).click();
      const table = page.getByRole('table', { name: 'Access requests' });
      await table.getByRole('cell', { name: 'INC-42 db1 is down' }).waitFor();
      await page.getByLabel('Decision reason (optional)').fill('go ahead');
      await page.screenshot({ path: path.join(repoRoot, 'docs', 'console-access-requests.png'), fullPage: true });
      await table.getByRole('button', { name: `Approve ${requestId}` }).click();
      await page.getByRole('status').getByText(`Request ${requestId} approved: alice holds role dba until`).waitFor();
    } finally {
      await context.close();
    }

    const [reached, check] = await Promise.all([reachDb1(), c.gateway.jumpgate(['policy', 'check', 'alice', 'db1'])]);
    assert.equal(reached.code, 0, describeRun(reached));
    assert.match(reached.stdout, /reached-db1/);
    const approved = requestEvents('request.approve')[0];
    assert.ok(approved, 'request.approve is audited');
    assert.deepEqual([approved.user, approved.approver, approved.reason, approved.role], ['alice', 'carol', 'go ahead', 'dba']);
    assert.equal(check.code, 0, describeRun(check));
    assert.match(check.stdout, new RegExp(`role dba is granted by access request ${requestId} until ${String(approved.until).replace(/\./g, '\\.')}`));
    const user = await c.gateway.jumpgate(['get', 'users', 'alice', '-o', 'json']);
    assert.deepEqual((JSON.parse(user.stdout) as { grantedRoles?: unknown }).grantedRoles, [{ role: 'dba', until: approved.until, request: requestId }]);
  });

  test('the grant ends by itself: one request.expire, and alice is refused again', { timeout: 60_000 }, async () => {
    const expired = await c.gateway.waitForAuditEvent((e) => e.type === 'request.expire' && e.request === requestId, 30_000);
    assert.deepEqual([expired.user, expired.role, expired.approver, expired.reason], ['alice', 'dba', 'carol', 'the granted time ended']);
    const denied = await reachDb1();
    assert.notEqual(denied.code, 0, describeRun(denied));
    assert.match(denied.stderr, /jumpgate: alice may not reach db1:22/, describeRun(denied));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(requestEvents('request.expire').length, 1, 'expired once');
    const check = await c.gateway.jumpgate(['policy', 'check', 'alice', 'db1']);
    assert.equal(check.code, 1, describeRun(check));
  });

  test('an operator denies a request from the command line; every step is in the audit trail and the pager got alerts', { timeout: 60_000 }, async () => {
    const filed = await c.alice.run(['gate', 'request', 'dba', '--for', '5s', '--reason', 'INC-43']);
    assert.equal(filed.code, 0, describeRun(filed));
    const second = /request ([0-9a-f]{10}) filed/.exec(filed.stdout)![1];
    const unknown = await c.gateway.jumpgate(['request', 'deny', '0000000000']);
    assert.equal(unknown.code, 1, describeRun(unknown));
    const denied = await c.gateway.jumpgate(['request', 'deny', second, '--reason', 'not during the freeze']);
    assert.equal(denied.code, 0, describeRun(denied));
    const twice = await c.gateway.jumpgate(['request', 'approve', second]);
    assert.equal(twice.code, 1, describeRun(twice));
    assert.match(twice.stderr, new RegExp(`request ${second} is denied already`));
    const event = await c.gateway.waitForAuditEvent((e) => e.type === 'request.deny' && e.request === second);
    assert.match(String(event.approver), /^cli:/);
    assert.equal(event.reason, 'not during the freeze');

    const steps = c.gateway.auditEvents().filter((e) => e.request === requestId).map((e) => e.type);
    assert.deepEqual(steps, ['request.create', 'request.approve', 'request.expire']);
    const all = await c.gateway.jumpgate(['request', 'list', '--all', '-o', 'json']);
    assert.deepEqual((JSON.parse(all.stdout) as { id: string; status: string }[]).map((r) => [r.id, r.status]).sort(), [[requestId, 'expired'], [second, 'denied']].sort());
    const verify = await c.gateway.jumpgate(['audit', 'verify']);
    assert.equal(verify.code, 0, describeRun(verify));

    // Each step is its own alert, whichever process took it: the gateway (SSH, console, expiry) or the CLI (the deny).
    const alerts = await c.hook.waitForRequests((requests) => {
      const steps = requests.flatMap((r) => ((r.json as { events?: { type: string; request?: string }[] }).events ?? []).map((e) => `${e.request ?? ''} ${e.type}`));
      return [`${requestId} request.create`, `${requestId} request.approve`, `${requestId} request.expire`, `${second} request.create`, `${second} request.deny`]
        .every((wanted) => steps.includes(wanted));
    }, 20_000);
    assert.ok(alerts.every((r) => (r.json as { type: string }).type === 'alert'), 'the pager receives alerts only');
  });
});

/**
 * Two nodes on one PostgreSQL (SPEC §10): a grant approved on one node lets alice through the
 * other, ends there on time, and its end is written once although both nodes sweep.
 */
describe('access requests on two nodes sharing PostgreSQL', () => {
  const n = suiteFixture(async () => {
    const a = await startGateway({ store: 'postgres', settings: settingsWith([[['node'], 'a'], [['http', 'listen'], '']]) });
    const b = await startGateway({ dataDirFrom: a.dataDir, settings: settingsWith([[['node'], 'b']]) });
    const aliceKey = await makeKeyPair(a.workDir, 'alice', 'alice@laptop');
    const db1 = await startSshd({ authorizedKeys: [aliceKey.publicKey] });
    await a.apply(`kind: Target
name: db1
host: 127.0.0.1
port: ${db1.port}
---
kind: Role
name: dba
allow:
  - targets: [db1]
    access: [jump]
requestable: {maxDuration: 1m, approvers: [sec-leads]}
---
kind: Role
name: sec-leads
---
kind: User
name: alice
keys:
  - ${aliceKey.publicKey}
`);
    const client = (gateway: Gateway) => makeSshClient({ dir: a.workDir, gateUser: 'alice', gatePort: gateway.port, gateKey: aliceKey.privateKeyPath });
    return {
      a, b, viaA: client(a), viaB: client(b),
      stop: async () => {
        try { await b.stop(); } finally { try { await a.stop(); } finally { await db1.stop(); } }
      },
    };
  });

  const expireEvents = async (id: string): Promise<AuditEvent[]> => {
    const r = await n.a.jumpgate(['audit', '--type', 'request.expire', '-o', 'json']);
    assert.equal(r.code, 0, describeRun(r));
    return r.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditEvent).filter((e) => e.request === id);
  };

  test('filed on node a, approved at the command line, used through node b, expired once', { timeout: 90_000 }, async () => {
    const filed = await n.viaA.run(['gate', 'request', 'dba', '--for', '8s', '--reason', 'INC-44']);
    assert.equal(filed.code, 0, describeRun(filed));
    const id = /request ([0-9a-f]{10}) filed/.exec(filed.stdout)![1];
    const before = await n.viaB.run(['-J', 'gate', `${osLogin}@db1`, 'true']);
    assert.notEqual(before.code, 0, `pending grants nothing on node b\n${describeRun(before)}`);

    const approved = await n.a.jumpgate(['request', 'approve', id, '--reason', 'ok']);
    assert.equal(approved.code, 0, describeRun(approved));
    const through = await n.viaB.run(['-J', 'gate', `${osLogin}@db1`, 'echo via-b']);
    assert.equal(through.code, 0, describeRun(through));
    assert.match(through.stdout, /via-b/);

    for (const deadline = Date.now() + 30_000; (await expireEvents(id)).length === 0;) {
      assert.ok(Date.now() < deadline, 'request.expire within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // Both nodes sweep every 2 s: a few more sweeps each, and still one event.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const events = await expireEvents(id);
    assert.equal(events.length, 1, JSON.stringify(events));
    const after = await n.viaB.run(['-J', 'gate', `${osLogin}@db1`, 'true']);
    assert.notEqual(after.code, 0, describeRun(after));
    assert.match(after.stderr, /jumpgate: alice may not reach db1:22/, describeRun(after));
  });
});
