import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import fs from 'node:fs';
import ssh2 from 'ssh2';
import WebSocket from 'ws';
import type { BrowserContext, Page } from 'playwright-core';
import { settingsWith, startGateway, type AuditEvent, type Gateway } from '../helpers/gateway.js';
import { ApiClient } from '../helpers/http-api.js';
import { freePort } from '../helpers/ports.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { makeKeyPair } from '../helpers/keys.js';
import { osLogin, startSshd, type Sshd } from '../helpers/sshd.js';
import { describeRun } from '../helpers/ssh-client.js';
import { freshTotp, secretOfUri } from '../helpers/totp.js';
import { assertConsoleBuilt, launchBrowser, type TestBrowser } from '../helpers/browser.js';

const PASSWORDS = { alice: 'alice-terminal-password-1', audrey: 'audrey-terminal-password-2', tina: 'tina-terminal-password-3', bob: 'bob-terminal-password-4' };

/**
 * alice and bob (no console rights) may open shells on db1 (recorded, the user told when watched, others may join) and
 * prod1 (a watcher required), not on db2; tina needs a TOTP code for vault1; audrey is an
 * auditor (admin: read). Every target is one OpenSSH server taking the gateway's key.
 */
interface Cast {
  gateway: Gateway;
  base: string;
  sshd: Sshd;
  aliceKey: string;
  tinaTotp: string;
  usedSteps: Set<string>;
  browser: TestBrowser;
  stop(): Promise<void>;
}

async function startCast(): Promise<Cast> {
  assertConsoleBuilt();
  const httpPort = await freePort();
  const gateway = await startGateway({ settings: settingsWith([[['http', 'listen'], `127.0.0.1:${httpPort}`]]) });
  const [hopKey, aliceKey] = await Promise.all([makeKeyPair(gateway.workDir, 'hop-key'), makeKeyPair(gateway.workDir, 'alice')]);
  // A UTF-8 locale on the target, as a real server has one, and no history file written.
  const sshd = await startSshd({ authorizedKeys: [hopKey.publicKey], extraConfig: ['SetEnv LANG=C.UTF-8 HISTFILE=/dev/null'] });
  const target = (name: string) => `kind: Target\nname: ${name}\nhost: 127.0.0.1\nport: ${sshd.port}\nlogin: ${osLogin}\ncredential: hop-key\n---\n`;
  await gateway.apply(`kind: Credential
name: hop-key
type: privateKey
secretFile: ./hop-key
---
${['db1', 'db2', 'vault1', 'prod1'].map(target).join('')}kind: Role
name: auditors
admin: read
---
kind: Role
name: engineers
allow:
  - targets: [db1]
    access: [session]
    logins: [${osLogin}]
    record: true
    notifyWatch: true
    join: true
  - targets: [prod1]
    access: [session]
    logins: [${osLogin}]
    requireWatcher: true
---
kind: Role
name: vault-keepers
allow:
  - targets: [vault1]
    access: [session]
    logins: [${osLogin}]
    mfa: true
---
kind: User
name: alice
roles: [engineers]
keys: ["${aliceKey.publicKey}"]
---
kind: User
name: bob
roles: [engineers]
---
kind: User
name: audrey
roles: [auditors]
---
kind: User
name: tina
roles: [vault-keepers]
`);
  await gateway.setPasswords(PASSWORDS);
  const totp = await gateway.jumpgate(['user', 'totp', 'tina']);
  assert.equal(totp.code, 0, describeRun(totp));
  const browser = await launchBrowser();
  return {
    gateway, base: `http://127.0.0.1:${httpPort}`, sshd, aliceKey: aliceKey.privateKeyPath, tinaTotp: secretOfUri(totp.stdout), usedSteps: new Set(), browser,
    stop: async () => {
      await browser.close();
      try { await gateway.stop(); } finally { await sshd.stop(); }
    },
  };
}

/** What the page's terminal shows (xterm's DOM renderer: one element per row), spaces plain. */
function terminalText(page: Page): Promise<string> {
  return page.evaluate(() => (document.querySelector('.xterm-rows')?.textContent ?? '').replace(/\u00a0/g, ' '));
}

async function waitForTerminal(page: Page, pattern: RegExp, timeout = 20_000): Promise<void> {
  try {
    await page.waitForFunction((source) => new RegExp(source).test((document.querySelector('.xterm-rows')?.textContent ?? '').replace(/\u00a0/g, ' ')), pattern.source, { timeout, polling: 100 });
  } catch (error) {
    throw new Error(`the terminal never showed ${pattern}; it shows:\n${await terminalText(page)}`, { cause: error });
  }
}

async function typeLine(page: Page, line: string): Promise<void> {
  await page.locator('.xterm-helper-textarea').focus();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}

describe('the web terminal (SPEC §2.5), watching and a required watcher (SPEC §9)', () => {
  const c = suiteFixture(startCast);

  async function signIn(user: keyof typeof PASSWORDS, viewport = { width: 1100, height: 700 }): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await c.browser.browser.newContext({ viewport });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const problems: string[] = [];
    page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
    await page.goto(c.base);
    await page.getByLabel('User').fill(user);
    await page.getByLabel('Password').fill(PASSWORDS[user]);
    if (user === 'tina') await page.getByLabel('Verification code').fill(freshTotp(c.tinaTotp, c.usedSteps));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    return { context, page, problems };
  }

  const eventAfter = (mark: number, predicate: (e: AuditEvent) => boolean) => c.gateway.waitForAuditEvent((e, i) => i >= mark && predicate(e));

  test('a WebSocket from another origin or without the console cookie is refused; the console\'s own opens', { timeout: 60_000 }, async () => {
    const api = new ApiClient({ base: c.base });
    assert.equal((await api.signIn('alice', PASSWORDS.alice)).status, 200);
    const url = `${c.base.replace(/^http/, 'ws')}/api/v1/terminal?target=db1`;
    const attempt = (headers: Record<string, string>) => new Promise<{ status: number } | { opened: WebSocket }>((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      socket.once('open', () => resolve({ opened: socket }));
      socket.once('unexpected-response', (_request, response) => { resolve({ status: response.statusCode ?? 0 }); response.resume(); });
      socket.once('error', reject);
    });
    const cookie = api.cookie!;
    assert.deepEqual(await attempt({ cookie, origin: 'http://evil.example' }), { status: 403 }, 'another origin, with the cookie');
    assert.deepEqual(await attempt({ cookie, origin: 'http://127.0.0.1:1' }), { status: 403 }, 'another port is another origin');
    assert.deepEqual(await attempt({ origin: c.base }), { status: 401 }, 'the console origin without the cookie');
    assert.deepEqual(await attempt({ cookie }), { status: 403 }, 'no Origin at all');
    const mark = c.gateway.auditEvents().length;
    const control = await attempt({ cookie, origin: c.base });
    assert.ok('opened' in control, 'the console origin with the cookie opens');
    const output: Buffer[] = [];
    control.opened.on('message', (data: Buffer, binary: boolean) => { if (binary) output.push(data); });
    control.opened.send(Buffer.from('echo ws-$((40 + 2))\n'));
    const start = await eventAfter(mark, (e) => e.type === 'session.start' && e.user === 'alice' && e.kind === 'web');
    const deadline = Date.now() + 15_000;
    while (!Buffer.concat(output).toString().includes('ws-42') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.match(Buffer.concat(output).toString(), /ws-42/);
    control.opened.close();
    await c.gateway.waitForAuditEvent((e) => e.type === 'session.end' && e.session === start.session);
  });

  test('alice opens a terminal on db1, resizes it, types a command that is audited and recorded; audrey watches it live; sessions kill ends it with the reason', { timeout: 150_000 }, async () => {
    const alice = await signIn('alice');
    const mark = c.gateway.auditEvents().length;
    await alice.page.getByRole('button', { name: 'Sign out' }).waitFor();
    await alice.page.getByRole('link', { name: 'Open terminal on db1' }).click();
    await alice.page.getByText('Connected').waitFor();
    const start = await eventAfter(mark, (e) => e.type === 'session.start' && e.user === 'alice' && e.target === 'db1');
    assert.equal(start.kind, 'web');
    const id = String(start.session);

    await typeLine(alice.page, 'echo hello-$((123456 + 1))');
    await waitForTerminal(alice.page, /hello-123457/);
    await typeLine(alice.page, 'echo utf-ü€-$((1 + 1))');
    await waitForTerminal(alice.page, /utf-ü€-2/);
    const before = /S-(\d+) (\d+)-E/;
    await typeLine(alice.page, 'echo S-$(stty size)-E');
    await waitForTerminal(alice.page, before);
    const [, rows0, cols0] = before.exec(await terminalText(alice.page))!;
    await alice.page.setViewportSize({ width: 700, height: 500 });
    await typeLine(alice.page, 'echo N-$(stty size)-E');
    await waitForTerminal(alice.page, /N-\d+ \d+-E/);
    const [, rows1, cols1] = /N-(\d+) (\d+)-E/.exec(await terminalText(alice.page))!;
    assert.ok(Number(cols1) < Number(cols0) && Number(rows1) < Number(rows0), `the pty follows the page: ${rows0}x${cols0} then ${rows1}x${cols1}`);
    const command = await eventAfter(mark, (e) => e.type === 'command' && e.session === id && /hello-/.test(String(e.command)));
    assert.equal(command.command, 'echo hello-$((123456 + 1))');
    assert.equal(command.user, 'alice');

    // audrey watches from the sessions page in her own browser context.
    const audrey = await signIn('audrey');
    await audrey.page.getByRole('link', { name: 'Sessions', exact: true }).click();
    await audrey.page.getByRole('link', { name: `Watch ${id}` }).click();
    await audrey.page.getByText('Watching (read-only)').waitFor();
    await waitForTerminal(audrey.page, /hello-123457/, 20_000);
    const watch = await eventAfter(mark, (e) => e.type === 'session.watch' && e.session === id);
    assert.equal(watch.user, 'audrey');
    assert.equal(watch.owner, 'alice');
    await waitForTerminal(alice.page, /audrey is watching this session/);
    await typeLine(alice.page, 'echo watched-$((6 * 7))');
    await waitForTerminal(audrey.page, /watched-42/);
    // Read-only: audrey's keys never reach the shell.
    await typeLine(audrey.page, 'echo intruder-$((1 + 1))');
    await new Promise((r) => setTimeout(r, 500));
    assert.doesNotMatch(await terminalText(alice.page), /intruder/);

    const kill = await c.gateway.jumpgate(['sessions', 'kill', id]);
    assert.equal(kill.code, 0, describeRun(kill));
    await alice.page.getByText('Session ended: ended by an operator', { exact: true }).waitFor().catch(async (error: unknown) => {
      throw new Error(`the page says ${await alice.page.getByRole('status').textContent()}; ${describeRun(kill)}\n${await terminalText(alice.page)}`, { cause: error });
    });
    await waitForTerminal(alice.page, /jumpgate: session ended by an operator/);
    await audrey.page.getByRole('status').getByText(/Session ended/).waitFor();
    const end = await eventAfter(mark, (e) => e.type === 'session.end' && e.session === id);
    assert.equal(end.reason, 'killed');
    assert.equal(end.kind, 'web');
    const api = new ApiClient({ base: c.base });
    assert.equal((await api.signIn('audrey', PASSWORDS.audrey)).status, 200);
    const recording = await api.request('GET', `/api/v1/recordings/${id}`);
    assert.equal(recording.status, 200);
    assert.match(recording.text, /hello-123457/);

    // The replay in the page: the typed commands seek, the output is searchable, the speed is chosen.
    await audrey.page.goto(`${c.base}/#/recordings/${id}`);
    const commands = audrey.page.getByRole('list', { name: 'Commands' });
    await commands.getByRole('button', { name: 'echo watched-$((6 * 7))' }).click();
    await audrey.page.getByText(/^At \d+\.\d s: echo watched-\$\(\(6 \* 7\)\)$/).waitFor();
    await audrey.page.getByLabel('Search the output').fill('hello-123457');
    await audrey.page.getByRole('button', { name: 'Find' }).click();
    await audrey.page.getByText(/^At \d+\.\d s: "hello-123457" appears$/).waitFor();
    await audrey.page.getByLabel('Speed').selectOption('4');
    await audrey.page.getByLabel(`Recording of session ${id}`).locator('.ap-player').waitFor();
    // The terminal and the watcher's view run under the console's CSP (xterm's styles are adopted, not inline).
    assert.deepEqual([...alice.problems, ...audrey.problems].filter((p) => /Content Security Policy/i.test(p)), []);
    await alice.context.close();
    await audrey.context.close();
  });

  test('a denied target (db2) or login (postgres@db1) never opens, where the granted login on db1 does', { timeout: 60_000 }, async () => {
    const alice = await signIn('alice');
    const mark = c.gateway.auditEvents().length;
    await alice.page.goto(`${c.base}/#/terminal/db2`);
    await alice.page.getByText('Session ended: it was not opened', { exact: true }).waitFor();
    await waitForTerminal(alice.page, /jumpgate: alice may not reach .*db2/);
    const denied = await eventAfter(mark, (e) => e.type === 'access.denied' && e.target === 'db2');
    assert.equal(denied.user, 'alice');
    assert.equal(c.gateway.auditEvents().slice(mark).some((e) => e.type === 'session.start'), false, 'no session started');
    // A login no rule grants, chosen as ssh alice+postgres@db1@gate would.
    await alice.page.goto(`${c.base}/#/terminal/postgres@db1`);
    await waitForTerminal(alice.page, /jumpgate: alice may not reach postgres@db1/);
    // The positive control beside it: db1 opens for the same person in the same page, as the granted login.
    await alice.page.getByLabel('Log in as').fill(osLogin);
    await alice.page.getByRole('button', { name: 'Open', exact: true }).click();
    await alice.page.getByText('Connected', { exact: true }).waitFor();
    await typeLine(alice.page, 'echo open-$((2 + 2))');
    await waitForTerminal(alice.page, /open-4/);
    await alice.context.close();
  });

  test('a rule with mfa: true asks for the TOTP code first: a wrong one is refused and counted, the right one opens the shell', { timeout: 90_000 }, async () => {
    const tina = await signIn('tina');
    const mark = c.gateway.auditEvents().length;
    await tina.page.getByRole('link', { name: 'Open terminal on vault1' }).click();
    await tina.page.getByText('This session needs a verification code').waitFor();
    assert.equal(c.gateway.auditEvents().slice(mark).some((e) => e.type === 'session.start'), false, 'nothing opens before the code');
    await tina.page.getByLabel('Verification code').fill('12345x');
    await tina.page.getByRole('button', { name: 'Send code' }).click();
    await tina.page.getByRole('alert').getByText(/That code is wrong/).waitFor();
    const failure = await eventAfter(mark, (e) => e.type === 'auth.failure' && e.user === 'tina');
    assert.equal(failure.reason, 'wrong verification code');
    await tina.page.getByLabel('Verification code').fill(freshTotp(c.tinaTotp, c.usedSteps));
    await tina.page.getByRole('button', { name: 'Send code' }).click();
    await tina.page.getByText('Connected').waitFor();
    await typeLine(tina.page, 'echo vault-$((3 * 3))');
    await waitForTerminal(tina.page, /vault-9/);
    const start = await eventAfter(mark, (e) => e.type === 'session.start' && e.user === 'tina');
    assert.equal(start.target, 'vault1');
    await tina.context.close();
  });

  test('a requireWatcher rule holds the session until an auditor watches it', { timeout: 90_000 }, async () => {
    const alice = await signIn('alice');
    const mark = c.gateway.auditEvents().length;
    await alice.page.goto(`${c.base}/#/terminal/prod1`);
    await waitForTerminal(alice.page, /waiting for a watcher/);
    const start = await eventAfter(mark, (e) => e.type === 'session.start' && e.target === 'prod1');
    const id = String(start.session);
    await typeLine(alice.page, 'echo held-$((3 + 4))');
    await new Promise((r) => setTimeout(r, 1500));
    assert.doesNotMatch(await terminalText(alice.page), /held-7/, 'nothing runs before a watcher comes');

    const audrey = await signIn('audrey');
    await audrey.page.goto(`${c.base}/#/watch/${id}`);
    await audrey.page.getByText('Watching (read-only)').waitFor();
    await waitForTerminal(alice.page, /a watcher is here/);
    // What alice typed while held reaches the shell once it starts; the watcher sees it too.
    await waitForTerminal(alice.page, /held-7/);
    await waitForTerminal(audrey.page, /held-7/);
    await alice.context.close();
    await audrey.context.close();
  });

  test('bob, who may open db1 too, joins alice\'s shell and types into it; audrey, who may not, cannot join', { timeout: 90_000 }, async () => {
    const alice = await signIn('alice');
    const mark = c.gateway.auditEvents().length;
    await alice.page.goto(`${c.base}/#/terminal/db1`);
    await alice.page.getByText('Connected', { exact: true }).waitFor();
    const link = alice.page.getByRole('link', { name: /^#\/join\// });
    const href = await link.getAttribute('href');
    const id = href!.replace('#/join/', '');

    const audrey = await signIn('audrey');
    await audrey.page.goto(`${c.base}/#/join/${id}`);
    await audrey.page.getByText('Connection closed', { exact: true }).waitFor();

    const bob = await signIn('bob');
    await bob.page.goto(`${c.base}/${href!}`);
    await bob.page.getByText('Joined', { exact: true }).waitFor();
    await waitForTerminal(alice.page, /bob joined this session/);
    await typeLine(bob.page, 'echo joined-$((5 + 5))');
    await waitForTerminal(alice.page, /joined-10/);
    await waitForTerminal(bob.page, /joined-10/);
    const join = await eventAfter(mark, (e) => e.type === 'session.join' && e.session === id);
    assert.equal(join.user, 'bob');
    assert.equal(c.gateway.auditEvents().slice(mark).some((e) => e.type === 'session.join' && e.user === 'audrey'), false);
    const refused = await eventAfter(mark, (e) => e.type === 'access.denied' && e.user === 'audrey');
    assert.equal(refused.access, 'join');
    for (const person of [alice, audrey, bob]) await person.context.close();
  });

  test('an SSH proxied shell is held the same way until an auditor watches it, who then sees it live', { timeout: 60_000 }, async () => {
    const mark = c.gateway.auditEvents().length;
    const client = new ssh2.Client();
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve()).once('error', reject);
      client.connect({ host: '127.0.0.1', port: c.gateway.port, username: 'alice+prod1', privateKey: fs.readFileSync(c.aliceKey) });
    });
    try {
      const shell = await new Promise<ssh2.ClientChannel>((resolve, reject) => client.shell({ term: 'xterm', cols: 100, rows: 30 }, (error, stream) => (error ? reject(error) : resolve(stream))));
      let seenByAlice = '';
      shell.on('data', (data: Buffer) => { seenByAlice += data.toString(); });
      shell.stderr.on('data', (data: Buffer) => { seenByAlice += data.toString(); });
      const until = async (read: () => string, pattern: RegExp) => {
        const deadline = Date.now() + 20_000;
        while (!pattern.test(read()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        assert.match(read(), pattern);
      };
      await until(() => seenByAlice, /waiting for a watcher/);
      const start = await eventAfter(mark, (e) => e.type === 'session.start' && e.target === 'prod1');
      assert.equal(start.kind, 'session');

      const api = new ApiClient({ base: c.base });
      assert.equal((await api.signIn('audrey', PASSWORDS.audrey)).status, 200);
      const watcher = new WebSocket(`${c.base.replace(/^http/, 'ws')}/api/v1/sessions/${String(start.session)}/watch`, { headers: { cookie: api.cookie!, origin: c.base } });
      let seenByAudrey = '';
      watcher.on('message', (data: Buffer, binary: boolean) => { if (binary) seenByAudrey += data.toString(); });
      await once(watcher, 'open');
      await until(() => seenByAlice, /a watcher is here/);
      shell.write('echo ssh-$((8 * 8))\n');
      await until(() => seenByAudrey, /ssh-64/);
      watcher.close();
    } finally {
      client.end();
    }
  });
});
