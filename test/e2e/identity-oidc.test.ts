/**
 * Single sign-on (SPEC §12) with a real OpenID Connect provider (oidc-provider on loopback
 * over HTTPS, its own signing key and a test CA, accounts with groups): a person signs in to
 * the console through it in Chromium and appears as a user with the role their group maps
 * to; `jumpgate login` approved in that signed-in browser writes a certificate that a stock
 * `ssh -J` uses to reach a real sshd; removed from the group, the person loses the role at
 * the next sign-in and gets no new certificate.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { assertConsoleBuilt, launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { settingsWith, startGateway, type Gateway } from '../helpers/gateway.js';
import { makeKeyPair, type KeyPair } from '../helpers/keys.js';
import { startOidcProvider, type OidcProvider } from '../helpers/oidc-provider.js';
import { freePort } from '../helpers/ports.js';
import type { RunResult } from '../helpers/processes.js';
import { describeRun } from '../helpers/ssh-client.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { makeTempDir } from '../helpers/tmp.js';
import { sshWithCertificate, startJumpgateLogin, waitForOutput } from '../helpers/jumpgate-login.js';

interface Cast {
  provider: OidcProvider;
  gateway: Gateway;
  db1: Sshd;
  targetKey: KeyPair;
  base: string;
  browser: TestBrowser;
  stop(): Promise<void>;
}

async function startCast(): Promise<Cast> {
  assertConsoleBuilt();
  const httpPort = await freePort();
  const base = `http://127.0.0.1:${httpPort}`;
  const provider = await startOidcProvider(base, { alice: { groups: ['dba-team', 'staff'] } });
  const secretDir = makeTempDir('oidc-secret');
  const secretFile = path.join(secretDir, 'oidc.secret');
  fs.writeFileSync(secretFile, `${provider.clientSecret}\n`, { mode: 0o600 });
  const gateway = await startGateway({
    env: { NODE_EXTRA_CA_CERTS: provider.caPath },
    settings: settingsWith([
      [['http', 'listen'], `127.0.0.1:${httpPort}`],
      [['http', 'publicUrl'], base],
      [['identity', 'oidc'], { issuer: provider.issuer, clientId: provider.clientId, clientSecretFile: secretFile }],
      [['bans', 'maxAuthFailures'], 100],
    ]),
  });
  const targetKey = await makeKeyPair(gateway.workDir, 'target_key');
  const db1 = await startSshd({ authorizedKeys: [targetKey.publicKey] });
  await gateway.apply(`kind: Role
name: dba
groups: [dba-team]
allow:
  - targets: [db1]
    access: [jump]
    ports: [${db1.port}]
---
kind: Role
name: ops
groups: [ops-team]
allow:
  - targets: [db1]
    access: [jump]
    ports: [${db1.port}]
---
kind: Target
name: db1
host: 127.0.0.1
port: ${db1.port}
`);
  const browser = await launchBrowser();
  return {
    provider, gateway, db1, targetKey, base, browser,
    async stop() {
      await browser.close();
      try { await gateway.stop(); } finally { await db1.stop(); await provider.stop(); }
    },
  };
}

/** Signs in through the provider's login form, in a fresh browser context (one per person and sign-in). */
async function signInWithSso(cast: Cast, account: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await cast.browser.browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(cast.base);
  await page.getByRole('link', { name: 'Sign in with SSO' }).click();
  await page.waitForURL((url) => url.origin === cast.provider.issuer);
  await page.locator('input[name="login"]').fill(account);
  await page.locator('input[name="password"]').fill('any password: the development login form ignores it');
  await page.locator('button[type="submit"]').click();
  await page.waitForURL((url) => url.origin === cast.base);
  await page.getByText(`${account} (user)`).waitFor();
  return { context, page };
}

async function userAsJson(cast: Cast, name: string): Promise<{ roles: string[]; source?: string }> {
  const shown = await cast.gateway.jumpgate(['get', 'users', name, '-o', 'json']);
  assert.equal(shown.code, 0, describeRun(shown));
  const parsed = JSON.parse(shown.stdout) as { roles: string[]; source?: string } | Array<{ roles: string[]; source?: string }>;
  return Array.isArray(parsed) ? parsed[0] : parsed;
}

/** `jumpgate login` run by the person, approved by clicking Approve in their signed-in browser. */
async function loginApprovedIn(cast: Cast, page: Page, home: string): Promise<RunResult> {
  const login = startJumpgateLogin(cast.base, home);
  const [, url] = await waitForOutput(login, /(http:\S+\/approve\/[A-Z2-9-]+)/);
  await page.goto(url);
  await page.getByText(/a certificate for SSH/).waitFor();
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByText('Approved: go back to your terminal.').waitFor();
  return login.exited;
}

function sshThrough(cast: Cast, home: string): Promise<RunResult> {
  return sshWithCertificate({ home, user: 'alice', gatePort: cast.gateway.port, target: { login: cast.db1.login, keyPath: cast.targetKey.privateKeyPath } });
}

describe('single sign-on with an OpenID Connect provider', () => {
  const cast = suiteFixture(startCast);

  test('a person signs in through the provider and appears as a user with the mapped role; jumpgate login then reaches a target', { timeout: 120_000 }, async () => {
    const { context, page } = await signInWithSso(cast, 'alice');
    try {
      const alice = await userAsJson(cast, 'alice');
      assert.deepEqual(alice.roles, ['dba']);
      assert.equal(alice.source, 'oidc');
      const listed = await cast.gateway.jumpgate(['get', 'users']);
      assert.match(listed.stdout, /^alice\s+dba\s+.*active, oidc$/m);
      await cast.gateway.waitForAuditEvent((e) => e.type === 'console.login' && e.user === 'alice' && e.outcome === 'success' && e.method === 'oidc');
      await cast.gateway.waitForAuditEvent((e) => e.type === 'config.change' && e.kind === 'User' && e.name === 'alice' && e.action === 'create');

      const home = makeTempDir('home-alice');
      const login = await loginApprovedIn(cast, page, home);
      assert.equal(login.code, 0, describeRun(login));
      assert.match(login.stdout, /Certificate for alice written/);
      const reached = await sshThrough(cast, home);
      assert.equal(reached.code, 0, describeRun(reached));
      assert.match(reached.stdout, /reached-42/);
    } finally {
      await context.close();
    }
  });

  test('removed from the group, the person loses the role at the next sign-in and gets no new certificate', { timeout: 120_000 }, async () => {
    cast.provider.setAccounts({ alice: { groups: ['staff'] } });
    const { context, page } = await signInWithSso(cast, 'alice');
    try {
      assert.deepEqual((await userAsJson(cast, 'alice')).roles, []);
      await cast.gateway.waitForAuditEvent((e) => e.type === 'config.change' && e.kind === 'User' && e.name === 'alice' && e.action === 'update');
      const login = await loginApprovedIn(cast, page, makeTempDir('home-alice-again'));
      assert.equal(login.code, 1, describeRun(login));
      assert.match(login.stderr, /alice holds no role: no certificate issued/);
    } finally {
      await context.close();
    }
    // Back in the group: the role comes back at the next sign-in.
    cast.provider.setAccounts({ alice: { groups: ['dba-team'] } });
    const again = await signInWithSso(cast, 'alice');
    await again.context.close();
    assert.deepEqual((await userAsJson(cast, 'alice')).roles, ['dba']);
  });

  for (const mode of ['state', 'nonce'] as const) {
    test(`a ${mode} changed on the way is refused, and nobody is signed in`, { timeout: 60_000 }, async (t) => {
      t.after(() => cast.provider.tamper(null));
      cast.provider.tamper(mode);
      const context = await cast.browser.browser.newContext({ ignoreHTTPSErrors: true });
      try {
        const page = await context.newPage();
        page.setDefaultTimeout(20_000);
        await page.goto(cast.base);
        await page.getByRole('link', { name: 'Sign in with SSO' }).click();
        await page.locator('input[name="login"]').fill('alice');
        await page.locator('input[name="password"]').fill('x');
        await page.locator('button[type="submit"]').click();
        await page.getByText(/single sign-on refused: the provider's answer did not check out/).waitFor();
        assert.equal((await context.cookies()).some((cookie) => cookie.name === 'jumpgate_session'), false);
        await cast.gateway.waitForAuditEvent((e) => e.type === 'console.login' && e.user === null && e.outcome === 'failure' && e.method === 'oidc'
          && /did not check out/.test(String(e.reason)));
      } finally {
        await context.close();
      }
    });
  }

  test('a callback the gateway did not start is refused and audited', { timeout: 30_000 }, async () => {
    const response = await fetch(`${cast.base}/auth/oidc/callback?code=forged&state=forged`, { redirect: 'manual' });
    assert.equal(response.status, 401);
    assert.match(await response.text(), /single sign-on refused: this sign-in was not started here/);
    assert.equal(response.headers.get('set-cookie')?.includes('jumpgate_session=') ?? false, false);
    await cast.gateway.waitForAuditEvent((e) => e.type === 'console.login' && e.outcome === 'failure' && e.method === 'oidc');
  });
});
