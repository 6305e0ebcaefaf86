import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { settingsWith, type AuditEvent } from '../helpers/gateway.js';
import { ApiClient, errorOf } from '../helpers/http-api.js';
import { freePort } from '../helpers/ports.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { startWorld, type World } from '../helpers/world.js';
import { freshTotp, secretOfUri } from '../helpers/totp.js';
import { describeRun } from '../helpers/ssh-client.js';
import { makeKeyPair } from '../helpers/keys.js';

const PASSWORDS = { oscar: 'oscar-console-password-1', audrey: 'audrey-console-password-2', alice: 'alice-console-password-3' };

const PEOPLE = `kind: Role
name: operators
admin: write
---
kind: Role
name: auditors
admin: read
---
kind: User
name: oscar
roles: [operators]
---
kind: User
name: audrey
roles: [auditors]
`;

interface ConsoleWorld extends World {
  base: string;
  oscarTotp: string;
  usedSteps: Set<string>;
  /** Signs in a fresh client; oscar once (his TOTP codes are single use), then his client is shared. */
  signedIn(user: keyof typeof PASSWORDS, localAddress?: string): Promise<ApiClient>;
  /** Every client made, for the secrets scan. */
  clients: ApiClient[];
}

async function startConsoleWorld(): Promise<ConsoleWorld> {
  const httpPort = await freePort();
  const world = await startWorld({ extraYaml: PEOPLE, settings: settingsWith([[['http', 'listen'], `127.0.0.1:${httpPort}`]]) });
  await world.gateway.setPasswords(PASSWORDS);
  const totp = await world.gateway.jumpgate(['user', 'totp', 'oscar']);
  assert.equal(totp.code, 0, describeRun(totp));
  const base = `http://127.0.0.1:${httpPort}`;
  const usedSteps = new Set<string>();
  const clients: ApiClient[] = [];
  const oscarTotp = secretOfUri(totp.stdout);
  let oscar: ApiClient | null = null;
  return {
    ...world, base, oscarTotp, usedSteps, clients,
    async signedIn(user, localAddress) {
      if (user === 'oscar' && oscar) return oscar;
      const client = new ApiClient({ base, localAddress });
      clients.push(client);
      const r = await client.signIn(user, PASSWORDS[user], user === 'oscar' ? freshTotp(oscarTotp, usedSteps) : undefined);
      assert.equal(r.status, 200, `sign-in of ${user}: ${r.text}`);
      if (user === 'oscar') oscar = client;
      return client;
    },
  };
}

describe('HTTP API of the web console (SPEC §9)', () => {
  const w = suiteFixture(startConsoleWorld);

  test('sign-in: password plus TOTP where enrolled; cookies HttpOnly and SameSite=Strict; every attempt audited', { timeout: 60_000 }, async () => {
    const anonymous = new ApiClient({ base: w.base });
    w.clients.push(anonymous);
    const none = await anonymous.request('GET', '/api/v1/targets');
    assert.equal(none.status, 401, none.text);
    assert.match(errorOf(none), /^jumpgate: sign in first/);

    const wrong = await anonymous.signIn('oscar', 'not-his-password', '000000');
    assert.equal(wrong.status, 401, wrong.text);
    assert.equal(errorOf(wrong), 'jumpgate: sign-in refused: wrong user, password or code');
    await w.gateway.waitForAuditEvent((e) => e.type === 'console.login' && e.user === 'oscar' && e.outcome === 'failure' && e.reason === 'wrong password');

    const noCode = await anonymous.signIn('oscar', PASSWORDS.oscar);
    assert.equal(noCode.status, 401, 'oscar enrolled TOTP: his password alone does not sign him in');
    await w.gateway.waitForAuditEvent((e) => e.type === 'console.login' && e.user === 'oscar' && e.reason === 'no verification code given');

    const oscar = new ApiClient({ base: w.base });
    w.clients.push(oscar);
    const ok = await oscar.signIn('oscar', PASSWORDS.oscar, freshTotp(w.oscarTotp, w.usedSteps));
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual({ ...(ok.body as object), csrfToken: undefined }, { user: 'oscar', admin: 'write', csrfToken: undefined });
    const cookie = ok.headers['set-cookie']?.[0] ?? '';
    assert.match(cookie, /^jumpgate_session=[A-Za-z0-9_-]{43}; /);
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Strict/);
    assert.doesNotMatch(cookie, /Secure/, 'plain HTTP on loopback: a Secure cookie would never come back');
    assert.equal((await w.gateway.waitForAuditEvent((e) => e.type === 'console.login' && e.user === 'oscar' && e.outcome === 'success')).method, 'password+totp');
    assert.equal((await oscar.request('GET', '/api/v1/session')).status, 200);

    const alice = await w.signedIn('alice');
    assert.deepEqual(await alice.request('GET', '/api/v1/session').then((r) => r.body), { kind: 'person', user: 'alice', admin: 'none', csrfToken: alice.csrf });
    const out = await alice.request('DELETE', '/api/v1/session');
    assert.equal(out.status, 200, out.text);
    assert.equal((await alice.request('GET', '/api/v1/my/targets')).status, 401, 'signed out: the cookie opens nothing');
  });

  test('a user kept to source addresses signs in only from them, and the cookie works only from them', { timeout: 30_000 }, async () => {
    const oscar = await w.signedIn('oscar');
    assert.equal((await oscar.request('PUT', '/api/v1/users/eve', { sourceCidrs: ['127.0.0.50/32'] })).status, 201);
    const passwd = await w.gateway.jumpgate(['user', 'passwd', 'eve', '--stdin'], { input: 'eve-console-password-5' });
    assert.equal(passwd.code, 0, describeRun(passwd));
    const elsewhere = new ApiClient({ base: w.base, localAddress: '127.0.0.51' });
    assert.equal((await elsewhere.signIn('eve', 'eve-console-password-5')).status, 401);
    await w.gateway.waitForAuditEvent((e) => e.type === 'console.login' && e.user === 'eve' && e.reason === 'source address 127.0.0.51 not allowed for eve');
    const home = new ApiClient({ base: w.base, localAddress: '127.0.0.50' });
    assert.equal((await home.signIn('eve', 'eve-console-password-5')).status, 200);
    assert.equal((await home.request('GET', '/api/v1/my/targets')).status, 200);
    elsewhere.cookie = home.cookie;
    assert.equal((await elsewhere.request('GET', '/api/v1/my/targets')).status, 401, 'the cookie carried to another address opens nothing');
  });

  test('every response carries a strict Content Security Policy and no-store', { timeout: 30_000 }, async () => {
    const client = new ApiClient({ base: w.base });
    const r = await client.request('GET', '/api/v1/session');
    assert.match(String(r.headers['content-security-policy']), /default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'/);
    assert.equal(r.headers['x-frame-options'], 'DENY');
    assert.equal(r.headers['cache-control'], 'no-store');
  });

  test('admin: none sees only My targets; admin: read reads and checks but changes nothing; admin: write changes', { timeout: 60_000 }, async () => {
    const alice = await w.signedIn('alice');
    const mine = await alice.request('GET', '/api/v1/my/targets');
    assert.equal(mine.status, 200, mine.text);
    assert.deepEqual((mine.body as Array<{ name: string; access: string[] }>).map((t) => [t.name, t.access]), [['db1', ['jump', 'forward']]]);
    for (const [method, route] of [['GET', '/api/v1/targets'], ['GET', '/api/v1/users/alice'], ['GET', '/api/v1/sessions'], ['GET', '/api/v1/audit'], ['POST', '/api/v1/audit/verify']]) {
      const r = await alice.request(method, route);
      assert.equal(r.status, 403, `${method} ${route}: ${r.text}`);
      assert.match(errorOf(r), /needs admin: read/);
    }
    const write = await alice.request('PUT', '/api/v1/targets/sneaky', { host: '10.0.0.9' });
    assert.equal(write.status, 403, write.text);

    const audrey = await w.signedIn('audrey');
    assert.equal((await audrey.request('GET', '/api/v1/targets')).status, 200);
    assert.equal((await audrey.request('GET', '/api/v1/sessions?live=true')).status, 200);
    const check = await audrey.request('POST', '/api/v1/policy/check', { user: 'alice', target: 'db1' });
    assert.equal(check.status, 200, check.text);
    assert.equal((check.body as { decision: string }).decision, 'allow');
    const denied = await audrey.request('POST', '/api/v1/policy/check', { user: 'alice', target: 'db1', port: 5432 });
    assert.deepEqual([(denied.body as { decision: string }).decision, (denied.body as { reason: string }).reason], ['deny', 'no rule grants port 5432']);
    const badPort = await audrey.request('POST', '/api/v1/policy/check', { user: 'alice', target: 'db1', port: 70000 });
    assert.equal(badPort.status, 400, badPort.text);
    assert.equal(errorOf(badPort), 'jumpgate: port must be 1-65535');
    const badAccess = await audrey.request('POST', '/api/v1/policy/check', { user: 'alice', target: 'db1', access: 'teleport', from: 'nowhere' });
    assert.equal(errorOf(badAccess), 'jumpgate: access must be one of jump, session, sftp, forward, rdp; from must be an IP address');
    const forwardWithoutPort = await audrey.request('POST', '/api/v1/policy/check', { user: 'alice', target: 'db1', access: 'forward' });
    assert.equal(errorOf(forwardWithoutPort), 'jumpgate: port is required for access forward');
    const unknown = await audrey.request('POST', '/api/v1/policy/check', { user: 'alice', target: 'db9' });
    assert.equal(unknown.status, 404, unknown.text);
    assert.equal(errorOf(unknown), 'jumpgate: no target named db9');
    const verify = await audrey.request('POST', '/api/v1/audit/verify');
    assert.equal(verify.status, 200, verify.text);
    assert.equal((verify.body as { ok: boolean }).ok, true, verify.text);
    const refused = await audrey.request('PUT', '/api/v1/targets/audrey-was-here', { host: '10.0.0.9' });
    assert.equal(refused.status, 403, refused.text);
    assert.match(errorOf(refused), /needs admin: write/);
    assert.equal((await audrey.request('DELETE', '/api/v1/targets/db1')).status, 403);
    assert.equal((await audrey.request('GET', '/api/v1/targets/audrey-was-here')).status, 404, 'nothing was written');
    assert.equal((await audrey.request('GET', '/api/v1/my/targets')).status, 200, 'every person has My targets');
  });

  test('targets: create, a jump server chain, invalid (400 naming the field), cycles (400 naming the chain), in use (409), delete; each change a config.change naming the person', { timeout: 60_000 }, async () => {
    const oscar = await w.signedIn('oscar');
    const created = await oscar.request('PUT', '/api/v1/targets/core-jump', { host: '127.0.0.1', port: 22, login: 'hop', labels: { zone: 'core' } });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body, { kind: 'Target', name: 'core-jump', host: '127.0.0.1', port: 22, alternateHosts: [], login: 'hop', labels: { zone: 'core' } });
    const event = await w.gateway.waitForAuditEvent((e) => e.type === 'config.change' && e.name === 'core-jump');
    assert.deepEqual([event.user, event.action, event.kind], ['oscar', 'create', 'Target']);
    assert.match(String(event.src), /^127\.0\.0\.1:\d+$/);

    // A hop the gateway logs into needs a login and a credential (as apply says).
    const hopWithoutCredential = await oscar.request('PUT', '/api/v1/targets/app1', { host: '10.0.3.5', via: 'core-jump' });
    assert.equal(hopWithoutCredential.status, 400, hopWithoutCredential.text);
    assert.match(errorOf(hopWithoutCredential), /via core-jump, which has no credential/);

    const key = await makeKeyPair(w.gateway.workDir, 'hop-key');
    const credential = await oscar.request('PUT', '/api/v1/credentials/hop-key', { type: 'privateKey', secret: fs.readFileSync(key.privateKeyPath, 'utf8') });
    assert.equal(credential.status, 201, credential.text);
    assert.equal((credential.body as { sealed?: string }).sealed, undefined, 'the sealed secret never leaves');
    assert.match(String((credential.body as { publicKey: string }).publicKey), /^ssh-ed25519 /);
    assert.equal((await oscar.request('PUT', '/api/v1/targets/core-jump', { host: '127.0.0.1', login: 'hop', credential: 'hop-key', labels: { zone: 'core' } })).status, 200);
    const app1 = await oscar.request('PUT', '/api/v1/targets/app1', { host: '10.0.3.5', via: 'core-jump' });
    assert.equal(app1.status, 201, app1.text);

    const invalid = await oscar.request('PUT', '/api/v1/targets/app2', { host: '10.0.3.6', port: 70000, prot: 1 });
    assert.equal(invalid.status, 400, invalid.text);
    assert.match(errorOf(invalid), /^jumpgate: Target app2: /);
    assert.match(errorOf(invalid), /port must be 1-65535/);
    assert.match(errorOf(invalid), /unknown field "prot"/);
    const misnamed = await oscar.request('PUT', '/api/v1/targets/app2', { name: 'app3', host: '10.0.3.6' });
    assert.equal(misnamed.status, 400, misnamed.text);

    const cycle = await oscar.request('PUT', '/api/v1/targets/core-jump', { host: '127.0.0.1', login: 'hop', credential: 'hop-key', via: 'app1' });
    assert.equal(cycle.status, 400, cycle.text);
    assert.match(errorOf(cycle), /via makes a cycle \(core-jump -> app1 -> core-jump\)/);

    const inUse = await oscar.request('DELETE', '/api/v1/targets/core-jump');
    assert.equal(inUse.status, 409, inUse.text);
    assert.match(errorOf(inUse), /^jumpgate: target core-jump is the jump host of app1; change their via first/);
    const credentialInUse = await oscar.request('DELETE', '/api/v1/credentials/hop-key');
    assert.equal(credentialInUse.status, 409, credentialInUse.text);
    const roleInUse = await oscar.request('DELETE', '/api/v1/roles/auditors');
    assert.equal(roleInUse.status, 409, roleInUse.text);
    assert.match(errorOf(roleInUse), /^jumpgate: role auditors is held by user audrey; take it from them first/);

    assert.equal((await oscar.request('DELETE', '/api/v1/targets/app1')).status, 200);
    assert.equal((await oscar.request('GET', '/api/v1/targets/app1')).status, 404);
    const deleted = await w.gateway.waitForAuditEvent((e) => e.type === 'config.change' && e.name === 'app1' && e.action === 'delete');
    assert.equal(deleted.user, 'oscar');
    assert.equal((await oscar.request('DELETE', '/api/v1/targets/app1')).status, 404);

    const role = await oscar.request('PUT', '/api/v1/roles/dba', { allow: [{ targets: ['db1'], access: ['jump'], ports: [22] }] });
    assert.equal(role.status, 201, role.text);
    const badRole = await oscar.request('PUT', '/api/v1/roles/dba', { allow: [{ targets: ['db1'], access: ['teleport'] }] });
    assert.equal(badRole.status, 400, badRole.text);
    assert.match(errorOf(badRole), /allow\[0\]\.access\[0\] must be one of jump, session, sftp, forward/);
    const user = await oscar.request('PUT', '/api/v1/users/carol', { roles: ['nosuchrole'] });
    assert.equal(user.status, 400, user.text);
    assert.match(errorOf(user), /role nosuchrole does not exist/);
  });

  test('a state change made with the cookie needs the X-CSRF-Token of the sign-in, and a same-origin request', { timeout: 30_000 }, async () => {
    const oscar = await w.signedIn('oscar');
    const forged = await oscar.request('PUT', '/api/v1/targets/csrf-victim', { host: '10.0.0.1' }, { omitCsrf: true });
    assert.equal(forged.status, 403, forged.text);
    assert.match(errorOf(forged), /X-CSRF-Token/);
    const wrongToken = await oscar.request('PUT', '/api/v1/targets/csrf-victim', { host: '10.0.0.1' }, { omitCsrf: true, headers: { 'x-csrf-token': 'x'.repeat(43) } });
    assert.equal(wrongToken.status, 403, wrongToken.text);
    const otherOrigin = await oscar.request('PUT', '/api/v1/targets/csrf-victim', { host: '10.0.0.1' }, { headers: { origin: 'http://evil.example' } });
    assert.equal(otherOrigin.status, 403, otherOrigin.text);
    const asForm = await oscar.request('PUT', '/api/v1/targets/csrf-victim', undefined, { raw: 'host=10.0.0.1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(asForm.status, 415, asForm.text);
    assert.equal((await oscar.request('GET', '/api/v1/targets/csrf-victim')).status, 404, 'none of them changed anything');
    const control = await oscar.request('PUT', '/api/v1/targets/csrf-victim', { host: '10.0.0.1' }, { headers: { origin: w.base } });
    assert.equal(control.status, 201, control.text);
  });

  test('API tokens: read and write as the role levels, named in config.change; revoked or unknown tokens are refused', { timeout: 60_000 }, async () => {
    const created = await w.gateway.jumpgate(['token', 'create', 'ci-read', '--admin', 'read', '--expires', '30d']);
    assert.equal(created.code, 0, describeRun(created));
    const reader = created.stdout.split('\n')[0];
    assert.match(reader, /^jgt_[A-Za-z0-9_-]{43}$/);
    const writerRun = await w.gateway.jumpgate(['token', 'create', 'ci-write', '--admin', 'write', '-o', 'json']);
    const writer = (JSON.parse(writerRun.stdout) as { token: string }).token;
    const list = await w.gateway.jumpgate(['token', 'list']);
    assert.match(list.stdout, /ci-read\s+read/);
    assert.doesNotMatch(list.stdout, /jgt_/, 'a token is shown once, at creation');

    const client = new ApiClient({ base: w.base });
    w.clients.push(client);
    assert.equal((await client.request('GET', '/api/v1/targets', undefined, { bearer: reader })).status, 200);
    const readerWrite = await client.request('PUT', '/api/v1/targets/by-token', { host: '10.0.0.2' }, { bearer: reader });
    assert.equal(readerWrite.status, 403, readerWrite.text);
    const put = await client.request('PUT', '/api/v1/targets/by-token', { host: '10.0.0.2' }, { bearer: writer });
    assert.equal(put.status, 201, put.text);
    const event = await w.gateway.waitForAuditEvent((e) => e.type === 'config.change' && e.name === 'by-token');
    assert.equal(event.user, 'token:ci-write');
    const mine = await client.request('GET', '/api/v1/my/targets', undefined, { bearer: writer });
    assert.equal(mine.status, 403, 'My targets belongs to people');

    assert.equal((await w.gateway.jumpgate(['token', 'revoke', 'ci-write'])).code, 0);
    const revoked = await client.request('GET', '/api/v1/targets', undefined, { bearer: writer });
    assert.equal(revoked.status, 401, revoked.text);
    assert.equal(errorOf(revoked), 'jumpgate: invalid or expired API token');
    await w.gateway.waitForAuditEvent((e) => e.type === 'console.login' && e.method === 'token' && e.outcome === 'failure' && e.reason === 'unknown API token');
    assert.equal((await client.request('GET', '/api/v1/targets', undefined, { bearer: 'jgt_' + 'A'.repeat(43) })).status, 401);
  });

  test('sign-in failures count toward bans like SSH ones; a banned address is refused; an operator lifts the ban', { timeout: 60_000 }, async () => {
    const stranger = new ApiClient({ base: w.base, localAddress: '127.0.0.37' });
    w.clients.push(stranger);
    for (let i = 0; i < 5; i++) {
      const r = await stranger.signIn(`guess${i}`, 'password123456');
      assert.equal(r.status, 401, r.text);
    }
    await w.gateway.waitForAuditEvent((e) => e.type === 'ban.add' && e.address === '127.0.0.37');
    const banned = await stranger.signIn('alice', PASSWORDS.alice);
    assert.equal(banned.status, 403, banned.text);
    assert.match(errorOf(banned), /^jumpgate: 127\.0\.0\.37 is banned until /);
    const ssh = await w.alice.run(['-o', 'BindAddress=127.0.0.37', 'gate', 'true']);
    assert.notEqual(ssh.code, 0, `the SSH door is closed to it too: ${describeRun(ssh)}`);

    const oscar = await w.signedIn('oscar');
    const bans = await oscar.request('GET', '/api/v1/bans');
    assert.ok((bans.body as Array<{ address: string }>).some((b) => b.address === '127.0.0.37'), bans.text);
    const lifted = await oscar.request('DELETE', '/api/v1/bans/127.0.0.37');
    assert.equal(lifted.status, 200, lifted.text);
    const event = await w.gateway.waitForAuditEvent((e) => e.type === 'ban.remove' && e.address === '127.0.0.37');
    assert.equal(event.user, 'oscar');
    assert.equal((await oscar.request('DELETE', '/api/v1/bans/127.0.0.37')).status, 404);
    const again = await stranger.signIn('alice', PASSWORDS.alice);
    assert.equal(again.status, 200, again.text);
  });

  test('sessions: a live ssh -J session is listed and killed, and the client ends', { timeout: 60_000 }, async () => {
    const oscar = await w.signedIn('oscar');
    const ssh = w.alice.spawn(['-J', 'gate', `${w.login}@db1`, 'echo started; sleep 60']);
    const live = await (async () => {
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
        const list = (await oscar.request('GET', '/api/v1/sessions?live=true')).body as Array<{ id: string; user: string; endedAt: string | null }>;
        const found = list.find((s) => s.user === 'alice' && s.endedAt === null);
        if (found) return found;
      }
      throw new Error('alice\'s session never showed');
    })();
    const audrey = await w.signedIn('audrey');
    assert.equal((await audrey.request('POST', `/api/v1/sessions/${live.id}/kill`)).status, 403, 'an auditor cannot kill');
    const killed = await oscar.request('POST', `/api/v1/sessions/${live.id}/kill`);
    assert.equal(killed.status, 200, killed.text);
    assert.deepEqual(killed.body, { id: live.id, ended: true, reason: 'killed' });
    const exit = await Promise.race([ssh.exited, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
    assert.notEqual(exit, null, 'the ssh client ended');
    await w.gateway.waitForAuditEvent((e) => e.type === 'session.end' && e.session === live.id && e.reason === 'killed');
    assert.equal((await w.gateway.waitForAuditEvent((e) => e.type === 'config.change' && e.kind === 'Session' && e.name === live.id)).user, 'oscar');
    assert.equal((await oscar.request('POST', `/api/v1/sessions/${live.id}/kill`)).status, 404);
  });

  test('target test reports each hop with its latency and host key; audit list, export and recordings', { timeout: 60_000 }, async () => {
    const oscar = await w.signedIn('oscar');
    const tested = await oscar.request('POST', '/api/v1/targets/db1/test');
    assert.equal(tested.status, 200, tested.text);
    const result = tested.body as { ok: boolean; hops: Array<{ hop: string; latencyMs: number; hostKey: string; address: string }> };
    assert.equal(result.ok, true, tested.text);
    assert.deepEqual(result.hops.map((h) => h.hop), ['db1']);
    assert.match(result.hops[0].hostKey, /^SHA256:[A-Za-z0-9+/]{43}$/);
    assert.equal(typeof result.hops[0].latencyMs, 'number');
    assert.equal((await oscar.request('POST', '/api/v1/targets/nope/test')).status, 404);

    const events = await oscar.request('GET', '/api/v1/audit?type=config.change&user=oscar');
    assert.equal(events.status, 200, events.text);
    assert.ok((events.body as AuditEvent[]).length > 0 && (events.body as AuditEvent[]).every((e) => e.type === 'config.change' && e.user === 'oscar'));
    assert.equal((await oscar.request('GET', '/api/v1/audit?since=yesterday')).status, 400);
    const exported = await oscar.request('GET', '/api/v1/audit/export?since=1h');
    assert.equal(exported.status, 200);
    assert.match(String(exported.headers['content-disposition']), /^attachment; filename="jumpgate-audit-/);
    const bundleFile = path.join(w.gateway.workDir, 'bundle.json');
    fs.writeFileSync(bundleFile, exported.text);
    const verified = await w.gateway.jumpgate(['audit', 'verify-export', bundleFile]);
    assert.equal(verified.code, 0, describeRun(verified));
    assert.equal((await oscar.request('GET', '/api/v1/recordings/0123456789abcdef')).status, 404);
    assert.equal((await oscar.request('GET', '/api/v1/recordings/..%2Fvault.key')).status, 400);
    assert.equal((await oscar.request('GET', '/api/v1/nonsense')).status, 404);
  });

  test('every route: 401 without a sign-in, 403 below its admin level, allowed at it', { timeout: 60_000 }, async () => {
    const routes: Array<[method: string, route: string, need: 'read' | 'write', body?: unknown]> = [
      ['GET', '/api/v1/users', 'read'], ['GET', '/api/v1/users/alice', 'read'], ['GET', '/api/v1/targets', 'read'], ['GET', '/api/v1/targets/db1', 'read'],
      ['GET', '/api/v1/roles', 'read'], ['GET', '/api/v1/roles/ops', 'read'], ['GET', '/api/v1/credentials', 'read'], ['GET', '/api/v1/sessions', 'read'],
      ['GET', '/api/v1/sessions?live=true', 'read'], ['GET', '/api/v1/audit', 'read'], ['POST', '/api/v1/audit/verify', 'read'], ['GET', '/api/v1/audit/export', 'read'],
      ['GET', '/api/v1/bans', 'read'], ['POST', '/api/v1/policy/check', 'read', { user: 'alice', target: 'db1' }],
      ['PUT', '/api/v1/targets/route-check', 'write', { host: '10.9.9.9' }], ['DELETE', '/api/v1/targets/route-check', 'write'],
      ['PUT', '/api/v1/users/route-check', 'write', {}], ['DELETE', '/api/v1/users/route-check', 'write'],
      ['PUT', '/api/v1/roles/route-check', 'write', { allow: [] }], ['DELETE', '/api/v1/roles/route-check', 'write'],
      ['PUT', '/api/v1/credentials/route-check', 'write', { type: 'password', secret: 'route-check-secret' }], ['DELETE', '/api/v1/credentials/route-check', 'write'],
      ['POST', '/api/v1/targets/db1/test', 'write'], ['POST', '/api/v1/targets/db1/trust', 'write'],
      ['POST', '/api/v1/sessions/0000000000000000/kill', 'write'], ['DELETE', '/api/v1/bans/192.0.2.1', 'write'],
      ['GET', '/api/v1/users/oscar/factors', 'read'], ['POST', '/api/v1/users/route-check/totp', 'write'], ['DELETE', '/api/v1/users/route-check/totp', 'write'],
    ];
    const anonymous = new ApiClient({ base: w.base });
    const alice = await w.signedIn('alice');
    const audrey = await w.signedIn('audrey');
    const oscar = await w.signedIn('oscar');
    for (const [method, route, need, body] of routes) {
      const label = `${method} ${route}`;
      assert.equal((await anonymous.request(method, route, body)).status, 401, label);
      assert.equal((await alice.request(method, route, body)).status, 403, label);
      const auditor = await audrey.request(method, route, body);
      if (need === 'write') assert.equal(auditor.status, 403, label);
      const allowed = need === 'read' ? auditor : await oscar.request(method, route, body);
      // Allowed through: what is left is the route's own answer (found, created, or 404 for the made-up ids).
      assert.ok([200, 201, 404].includes(allowed.status), `${label}: ${allowed.status} ${allowed.text}`);
    }
    const pinned = await oscar.request('PUT', '/api/v1/targets/pinned', { host: '127.0.0.1', port: w.db1.port, hostKey: w.db1.hostKeyFingerprint });
    assert.equal(pinned.status, 201, pinned.text);
    const trust = await oscar.request('POST', '/api/v1/targets/pinned/trust');
    assert.equal(trust.status, 409, trust.text);
    assert.match((trust.body as { error: string }).error, /pinned hostKey/);
    const trusted = await oscar.request('POST', '/api/v1/targets/db1/trust');
    assert.equal(trusted.status, 200, trusted.text);
    assert.equal((trusted.body as { hostKey: string }).hostKey, w.db1.hostKeyFingerprint);
    assert.equal((await oscar.request('GET', '/api/v1/users/nobody')).status, 404);

    assert.deepEqual((await oscar.request('GET', '/api/v1/users/oscar/factors')).body, { password: true, totp: true, recoveryCodesLeft: 10 });
    assert.equal((await oscar.request('PUT', '/api/v1/users/dave', {})).status, 201);
    const enrolled = await oscar.request('POST', '/api/v1/users/dave/totp');
    assert.equal(enrolled.status, 200, enrolled.text);
    const enrolment = enrolled.body as { uri: string; qr: string; recoveryCodes: string[] };
    assert.match(enrolment.uri, /^otpauth:\/\/totp\/jumpgate:dave\?/);
    assert.match(enrolment.qr, /^data:image\/svg\+xml;base64,/);
    assert.equal(enrolment.recoveryCodes.length, 10);
    assert.equal((await w.gateway.waitForAuditEvent((e) => e.type === 'config.change' && e.kind === 'UserTotp' && e.name === 'dave')).user, 'oscar');
    assert.equal((await oscar.request('GET', '/api/v1/users/dave/factors')).text.includes('"totp":true'), true);
    assert.equal((await oscar.request('DELETE', '/api/v1/users/dave/totp')).status, 200);
    assert.equal((await oscar.request('GET', '/api/v1/users/dave/factors')).text.includes('"totp":false'), true);
    const badCredential = await oscar.request('PUT', '/api/v1/credentials/broken', { type: 'privateKey', secret: 'not a key' });
    assert.equal(badCredential.status, 400, badCredential.text);
    assert.match((badCredential.body as { error: string }).error, /^jumpgate: Credential broken: secret: the secret is not a usable private key/);
    assert.equal((await oscar.request('PUT', '/api/v1/targets/x', undefined, { raw: '{not json', headers: { 'content-type': 'application/json' } })).status, 400);
    assert.equal((await oscar.request('PUT', '/api/v1/targets/x', { host: 'a'.repeat(300 * 1024) })).status, 413);
  });

  test('nothing secret ever reaches a client: no password, TOTP secret, private key or sealed value in any response', { timeout: 30_000 }, async () => {
    const oscar = await w.signedIn('oscar');
    for (const route of ['/api/v1/users', '/api/v1/users/oscar', '/api/v1/credentials', '/api/v1/credentials/hop-key', '/api/v1/targets', '/api/v1/roles', '/api/v1/audit', '/api/v1/sessions', '/api/v1/bans']) {
      assert.equal((await oscar.request('GET', route)).status, 200, route);
    }
    const everything = w.clients.flatMap((c) => c.seen).join('\n');
    const secrets = [...Object.values(PASSWORDS), w.oscarTotp, 'PRIVATE KEY', '"sealed"', 'passwordHash', 'totpSealed', fs.readFileSync(path.join(w.gateway.workDir, 'hop-key'), 'utf8').split('\n')[1]];
    for (const secret of secrets) assert.ok(!everything.includes(secret), `a response held ${secret.slice(0, 12)}…`);
  });
});
