import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { settingsWith, startGateway, type Gateway } from '../helpers/gateway.js';
import { ApiClient } from '../helpers/http-api.js';
import { freePort } from '../helpers/ports.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { makeKeyPair, type KeyPair } from '../helpers/keys.js';
import { osLogin, startSshd, type Sshd } from '../helpers/sshd.js';
import { makeSshClient, describeRun, type SshClient } from '../helpers/ssh-client.js';
import { freshTotp, secretOfUri } from '../helpers/totp.js';
import { assertConsoleBuilt, launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { repoRoot } from '../helpers/paths.js';

const PASSWORDS = { oscar: 'oscar-browser-password-1', audrey: 'audrey-browser-password-2', alice: 'alice-browser-password-3' };
const DOCS = path.join(repoRoot, 'docs');

/**
 * An operator (oscar, admin write, TOTP), an auditor (audrey, admin read) and alice (no console
 * rights) on a gateway whose console listens on loopback; two OpenSSH servers that take the
 * gateway's credential hop-key: core-jump, and db1 behind it (the test creates both targets).
 */
interface Cast {
  gateway: Gateway;
  base: string;
  coreJump: Sshd;
  db1: Sshd;
  alice: SshClient;
  oscarTotp: string;
  usedSteps: Set<string>;
  browser: TestBrowser;
  stop(): Promise<void>;
}

async function startCast(): Promise<Cast> {
  assertConsoleBuilt();
  const httpPort = await freePort();
  const gateway = await startGateway({ settings: settingsWith([[['http', 'listen'], `127.0.0.1:${httpPort}`]]) });
  const dir = gateway.workDir;
  const [hopKey, aliceKey]: KeyPair[] = await Promise.all([makeKeyPair(dir, 'hop-key'), makeKeyPair(dir, 'alice', 'alice@laptop')]);
  const coreJump = await startSshd({ authorizedKeys: [hopKey.publicKey] });
  const db1 = await startSshd({ authorizedKeys: [hopKey.publicKey, aliceKey.publicKey] });
  await gateway.apply(`kind: Credential
name: hop-key
type: privateKey
secretFile: ./hop-key
---
kind: Role
name: operators
admin: write
---
kind: Role
name: auditors
admin: read
---
kind: Role
name: engineers
allow:
  - targets: [db1]
    access: [jump, session]
    ports: [22]
    logins: [${osLogin}]
    record: true
---
kind: User
name: oscar
roles: [operators]
---
kind: User
name: audrey
roles: [auditors]
---
kind: User
name: alice
roles: [engineers]
keys:
  - ${aliceKey.publicKey}
`);
  await gateway.setPasswords(PASSWORDS);
  const totp = await gateway.jumpgate(['user', 'totp', 'oscar']);
  assert.equal(totp.code, 0, describeRun(totp));
  const browser = await launchBrowser();
  const alice = makeSshClient({ dir, gateUser: 'alice', gatePort: gateway.port, gateKey: aliceKey.privateKeyPath, gateLogLevel: 'ERROR' });
  const cast: Cast = {
    gateway, base: `http://127.0.0.1:${httpPort}`, coreJump, db1, alice, oscarTotp: secretOfUri(totp.stdout), usedSteps: new Set(), browser,
    // db1 may have been replaced by a test (a new host key): the one running now is stopped.
    stop: async () => {
      await browser.close();
      try { await gateway.stop(); } finally { await coreJump.stop(); await cast.db1.stop(); }
    },
  };
  return cast;
}

async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(DOCS, { recursive: true });
  await page.screenshot({ path: path.join(DOCS, `console-${name}.png`), fullPage: true });
}

describe('the web console in a browser (Chromium, SPEC §9)', () => {
  const c = suiteFixture(startCast);
  let operator: { context: BrowserContext; page: Page };

  async function signIn(user: keyof typeof PASSWORDS): Promise<{ context: BrowserContext; page: Page }> {
    const context = await c.browser.browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const problems: string[] = [];
    page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
    await page.goto(c.base);
    await page.getByLabel('User').fill(user);
    await page.getByLabel('Password').fill(PASSWORDS[user]);
    if (user === 'oscar') await page.getByLabel('Verification code').fill(freshTotp(c.oscarTotp, c.usedSteps));
    if (user === 'oscar') await screenshot(page, 'sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    assert.deepEqual(problems.filter((p) => /Content Security Policy/i.test(p)), [], 'the page runs under its CSP');
    return { context, page };
  }

  test('the console is served by the gateway itself, under its Content Security Policy, and nothing outside its files', { timeout: 30_000 }, async () => {
    const client = new ApiClient({ base: c.base });
    const index = await client.request('GET', '/targets');
    assert.equal(index.status, 200, 'a route of the single-page app answers with the page');
    assert.match(String(index.headers['content-type']), /^text\/html/);
    assert.match(String(index.headers['content-security-policy']), /script-src 'self' 'wasm-unsafe-eval'; style-src 'self'/);
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index.text)?.[1];
    assert.ok(script, index.text);
    assert.doesNotMatch(index.text, /https?:\/\//, 'the page names no other site');
    assert.equal((await client.request('GET', script)).status, 200);
    for (const probe of ['/assets/..%2f..%2fpackage.json', '/assets/..%2f..%2f..%2fpackage.json', '/assets/missing.js']) {
      assert.equal((await client.request('GET', probe)).status, 404, probe);
    }
    // Dot segments are resolved before routing (WHATWG URL): this is the page, never the file.
    const dotted = await client.request('GET', '/assets/../../package.json');
    assert.doesNotMatch(dotted.text, /"name": "jumpgate"/);
    assert.equal((await client.request('POST', '/')).status, 405);
  });

  test('an operator signs in with password and TOTP; the cookie is HttpOnly and SameSite=Strict', { timeout: 60_000 }, async () => {
    operator = await signIn('oscar');
    const cookie = (await operator.context.cookies()).find((k) => k.name === 'jumpgate_session');
    assert.ok(cookie, 'a session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.ok(await operator.page.getByRole('link', { name: 'Audit' }).isVisible());
  });

  test('creates core-jump and db1, picks core-jump as db1\'s jump server, and Test connection shows both hops with latency and host key', { timeout: 90_000 }, async () => {
    const { page } = operator;
    await page.getByRole('link', { name: 'Targets', exact: true }).click();
    await page.getByRole('button', { name: 'New target' }).click();
    const editor = page.getByRole('region', { name: 'Target editor' });
    await editor.getByLabel('Name').fill('core-jump');
    await editor.getByLabel('Host', { exact: true }).fill('127.0.0.1');
    await editor.getByLabel('Port').fill(String(c.coreJump.port));
    await editor.getByLabel('Login').fill(osLogin);
    await editor.getByLabel('Credential').selectOption('hop-key');
    await editor.getByRole('button', { name: 'Save' }).click();
    await editor.getByText('Saved.').waitFor();
    await editor.getByRole('button', { name: 'Close' }).click();

    await page.getByRole('button', { name: 'New target' }).click();
    await editor.getByLabel('Name').fill('db1');
    await editor.getByLabel('Host', { exact: true }).fill('127.0.0.1');
    await editor.getByLabel('Port').fill(String(c.db1.port));
    await editor.getByLabel('Login').fill(osLogin);
    await editor.getByLabel('Credential').selectOption('hop-key');
    await editor.getByLabel('Jump server').selectOption('core-jump');
    assert.equal(await editor.getByLabel('Chain').textContent(), 'gate → core-jump → db1');
    await editor.getByRole('button', { name: 'Save' }).click();
    await editor.getByText('Saved.').waitFor();
    await editor.getByRole('button', { name: 'Test connection' }).click();
    const hops = page.getByRole('table', { name: 'Hops' });
    await page.getByText('Connected to db1: 2 hop(s).').waitFor({ timeout: 30_000 });
    const rows = await hops.locator('tbody tr').allTextContents();
    assert.equal(rows.length, 2, rows.join('\n'));
    assert.match(rows[0], new RegExp(`^core-jump127\\.0\\.0\\.1:${c.coreJump.port}\\d+ ms${c.coreJump.hostKeyFingerprint.replace(/[+/]/g, '\\$&')}`));
    assert.match(rows[1], new RegExp(`^db1127\\.0\\.0\\.1:${c.db1.port}\\d+ ms${c.db1.hostKeyFingerprint.replace(/[+/]/g, '\\$&')}`));
    await screenshot(page, 'targets');

    // A cycle is refused, naming the chain.
    await editor.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('button', { name: 'Edit core-jump' }).click();
    await editor.getByLabel('Jump server').selectOption('db1');
    assert.equal(await editor.getByLabel('Chain').textContent(), 'Cycle: core-jump → db1 → core-jump');
    await editor.getByRole('button', { name: 'Save' }).click();
    await editor.getByRole('alert').getByText(/via makes a cycle \(core-jump -> db1 -> core-jump\)/).waitFor();
    await editor.getByRole('button', { name: 'Close' }).click();
    const event = await c.gateway.waitForAuditEvent((e) => e.type === 'config.change' && e.name === 'db1' && e.action === 'create');
    assert.equal(event.user, 'oscar');
  });

  test('creates a role and checks a decision with the policy check form', { timeout: 60_000 }, async () => {
    const { page } = operator;
    await page.getByRole('link', { name: 'Roles' }).click();
    await page.getByRole('button', { name: 'New role' }).click();
    const editor = page.getByRole('region', { name: 'Role editor' });
    await editor.getByLabel('Name').fill('dba');
    await editor.getByLabel('Targets (rule 1)').fill('db1');
    await editor.getByLabel('Ports (rule 1)').fill('22, 5432');
    await editor.getByRole('group', { name: 'Access (rule 1)' }).getByLabel('forward').check();
    await editor.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('table', { name: 'Roles' }).getByRole('cell', { name: 'dba', exact: true }).waitFor();

    const check = page.getByRole('region', { name: 'Policy check' });
    await check.getByLabel('User').fill('alice');
    await check.getByLabel('Target').fill('db1');
    await check.getByLabel('Port', { exact: true }).fill('5432');
    await check.getByRole('button', { name: 'Check' }).click();
    await check.getByRole('status').getByText(/^Deny: /).waitFor();
    await check.getByLabel('Port', { exact: true }).fill('22');
    await check.getByRole('button', { name: 'Check' }).click();
    await check.getByRole('status').getByText(/^Allow: role engineers, rule 1/).waitFor();
    await check.getByRole('status').getByText(/route gate → core-jump → db1/).waitFor();
    await screenshot(page, 'roles');
  });

  test('a user with admin: none sees only My targets and Access requests, and cannot call a write API (403)', { timeout: 60_000 }, async () => {
    const { context, page } = await signIn('alice');
    try {
      await page.getByRole('table', { name: 'My targets' }).getByRole('cell', { name: 'db1', exact: true }).waitFor();
      const links = await page.getByRole('navigation', { name: 'Pages' }).getByRole('link').allTextContents();
      assert.deepEqual(links, ['My targets', 'Access requests']);
      await screenshot(page, 'my-targets');
      const status = await page.evaluate(async () => {
        const me = await (await fetch('/api/v1/session')).json() as { csrfToken: string };
        const r = await fetch('/api/v1/targets/db1', { method: 'DELETE', headers: { 'x-csrf-token': me.csrfToken } });
        return r.status;
      });
      assert.equal(status, 403);
    } finally {
      await context.close();
    }
  });

  test('an auditor sees sessions and audit, runs verify, and cannot change anything', { timeout: 60_000 }, async () => {
    const { context, page } = await signIn('audrey');
    try {
      await page.getByRole('link', { name: 'Sessions' }).click();
      await page.getByRole('table', { name: 'Sessions' }).waitFor();
      await page.getByRole('link', { name: 'Audit' }).click();
      await page.getByRole('table', { name: 'Audit events' }).getByRole('cell', { name: 'config.change' }).first().waitFor();
      await page.getByRole('button', { name: 'Verify chain' }).click();
      await page.getByText(/^Audit chain intact: \d+ events/).waitFor();
      await screenshot(page, 'audit');
      await page.getByRole('link', { name: 'Users' }).click();
      await page.getByRole('button', { name: 'View oscar' }).click();
      await page.getByText(/Second factor \(TOTP\): enrolled/).waitFor();
      assert.equal(await page.getByRole('button', { name: /Enrol/ }).count(), 0, 'an auditor enrols nobody');
      assert.equal(await page.getByRole('button', { name: 'Save' }).count(), 0);
      await page.getByRole('link', { name: 'Targets', exact: true }).click();
      await page.getByRole('table', { name: 'Targets' }).getByRole('cell', { name: 'db1', exact: true }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'New target' }).count(), 0, 'no editing for an auditor');
      const status = await page.evaluate(async () => {
        const me = await (await fetch('/api/v1/session')).json() as { csrfToken: string };
        const r = await fetch('/api/v1/targets/x', { method: 'PUT', headers: { 'x-csrf-token': me.csrfToken, 'content-type': 'application/json' }, body: '{"host":"10.0.0.1"}' });
        return r.status;
      });
      assert.equal(status, 403);
    } finally {
      await context.close();
    }
  });

  test('an operator kills a live ssh -J session and the client ends', { timeout: 60_000 }, async () => {
    const ssh = c.alice.spawn(['-J', 'gate', `${osLogin}@db1`, 'echo started; sleep 60']);
    await c.gateway.waitForAuditEvent((e) => e.type === 'session.start' && e.user === 'alice' && e.kind === 'jump', 20_000);
    const { page } = operator;
    await page.getByRole('link', { name: 'Sessions' }).click();
    await page.getByRole('button', { name: 'Refresh' }).click();
    const kill = page.getByRole('button', { name: /^Kill / });
    await kill.first().waitFor();
    await screenshot(page, 'sessions');
    await kill.first().click();
    await page.getByText(/^Session [0-9a-f]+ ended \(killed\)\./).waitFor();
    const exit = await Promise.race([ssh.exited, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
    assert.notEqual(exit, null, 'the ssh -J client ended');
    await c.gateway.waitForAuditEvent((e) => e.type === 'session.end' && e.user === 'alice' && e.reason === 'killed');
  });

  test('an operator unbans an address', { timeout: 60_000 }, async () => {
    const stranger = new ApiClient({ base: c.base, localAddress: '127.0.0.41' });
    for (let i = 0; i < 5; i++) await stranger.signIn('mallory', 'guessing-passwords');
    await c.gateway.waitForAuditEvent((e) => e.type === 'ban.add' && e.address === '127.0.0.41');
    const { page } = operator;
    await page.getByRole('link', { name: 'Bans' }).click();
    await page.getByRole('button', { name: 'Unban 127.0.0.41' }).click();
    await page.getByText('127.0.0.41 unbanned.').waitFor();
    const event = await c.gateway.waitForAuditEvent((e) => e.type === 'ban.remove' && e.address === '127.0.0.41');
    assert.equal(event.user, 'oscar');
    assert.equal((await stranger.signIn('alice', PASSWORDS.alice)).status, 200, 'the address may sign in again');
  });

  test('plays a recording in the page', { timeout: 60_000 }, async () => {
    const r = await c.alice.run(['-p', String(c.gateway.port), '-o', 'HostName=127.0.0.1', `alice+db1@gate`, 'echo recorded-$((40 + 2))']);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /recorded-42/);
    const end = await c.gateway.waitForAuditEvent((e) => e.type === 'session.end' && e.kind === 'session' && typeof e.recording === 'string');
    const { page } = operator;
    await page.getByRole('link', { name: 'Recordings' }).click();
    await page.getByRole('link', { name: `Play ${String(end.session)}` }).click();
    await page.locator('.ap-player').waitFor();
    await page.waitForFunction(() => document.querySelector('.player')?.textContent?.includes('recorded-42'), undefined, { timeout: 20_000 });
    await screenshot(page, 'recordings');
  });

  test('a changed host key shows both fingerprints and Trust new key; after trusting, the test passes', { timeout: 90_000 }, async () => {
    const hopKey = fs.readFileSync(path.join(c.gateway.workDir, 'hop-key.pub'), 'utf8').trim();
    const before = c.db1.hostKeyFingerprint;
    await c.db1.stop();
    // The same address, a new host key: what an operator sees after a server was rebuilt.
    c.db1 = await startSshd({ port: c.db1.port, authorizedKeys: [hopKey] });
    const { page } = operator;
    await page.getByRole('link', { name: 'Targets', exact: true }).click();
    await page.getByRole('button', { name: 'Edit db1' }).click();
    const editor = page.getByRole('region', { name: 'Target editor' });
    await editor.getByRole('button', { name: 'Test connection' }).click();
    await editor.getByText(/The host key of db1 changed/).waitFor({ timeout: 30_000 });
    assert.match(await editor.getByText(/The host key of db1 changed/).textContent() ?? '', new RegExp(`expected ${before.replace(/[+/]/g, '\\$&')}, presented ${c.db1.hostKeyFingerprint.replace(/[+/]/g, '\\$&')}`));
    await c.gateway.waitForAuditEvent((e) => e.type === 'hostkey.mismatch' && e.hop === 'db1');
    await editor.getByRole('button', { name: 'Trust new key' }).click();
    await page.getByText('Connected to db1: 2 hop(s).').waitFor({ timeout: 30_000 });
    const event = await c.gateway.waitForAuditEvent((e) => e.type === 'config.change' && e.kind === 'HostKey' && e.name === 'db1');
    assert.equal(event.user, 'oscar');
  });

  test('an operator enrols a user\'s TOTP factor: the QR code and recovery codes are shown once', { timeout: 60_000 }, async () => {
    const { page } = operator;
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'Edit alice' }).click();
    await page.getByText(/Second factor \(TOTP\): not enrolled/).waitFor();
    await page.getByRole('button', { name: 'Enrol TOTP' }).click();
    await page.getByRole('img', { name: 'TOTP enrolment QR code' }).waitFor();
    await page.getByText(/^otpauth:\/\/totp\/jumpgate:alice\?/).waitFor();
    await page.getByText(/Second factor \(TOTP\): enrolled, 10 recovery codes left/).waitFor();
    await screenshot(page, 'users');
    const event = await c.gateway.waitForAuditEvent((e) => e.type === 'config.change' && e.kind === 'UserTotp' && e.name === 'alice');
    assert.equal(event.user, 'oscar');
  });
});
