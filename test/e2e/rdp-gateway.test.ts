/**
 * The RD Gateway end to end with Debian's packages on loopback: xrdp as the target and
 * FreeRDP 2 (xfreerdp, on an Xvfb display) as the client, through `jumpgate serve` with
 * `rdp.listen`, over the websocket transport, the legacy pair, and an .rdp file from
 * `jumpgate rdp-file`; then every refusal the protocol names, and `sessions kill`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { settingsWith, startGateway, type AuditEvent, type Gateway } from '../helpers/gateway.js';
import { freePort, waitForPort } from '../helpers/ports.js';
import { run, spawnTracked, type RunResult, type TrackedProcess } from '../helpers/processes.js';
import { startXrdp, startXvfb, xfreerdp, type Xrdp } from '../helpers/rdp.js';
import { suiteFixture } from '../helpers/suite-fixture.js';

const TEST_TIMEOUT_MS = 120_000;
const COOKIE_DENIED = 'Tunnel creation error E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED';
const RAP_DENIED = 'channel response errorCode=E_PROXY_RAP_ACCESSDENIED';

interface World {
  gateway: Gateway;
  xrdp: Xrdp;
  display: string;
  xvfb: TrackedProcess;
  gate: string;
  stop(): Promise<void>;
}

async function startWorld(): Promise<World> {
  const rdpPort = await freePort();
  const xrdp = await startXrdp('127.0.0.1', await freePort());
  const { display, proc: xvfb } = await startXvfb();
  const gateway = await startGateway({ settings: settingsWith([[['rdp', 'listen'], `127.0.0.1:${rdpPort}`]]) });
  await waitForPort('127.0.0.1', rdpPort);
  await gateway.apply(`kind: User
name: alice
roles: [rdp-users]
---
kind: User
name: bob
roles: [rdp-users]
---
kind: User
name: carol
roles: [rdp-from-office]
---
kind: Target
name: win1
host: 127.0.0.1
rdpPort: ${xrdp.port}
---
kind: Target
name: win2
host: win2.invalid
---
kind: Target
name: web1
host: 127.0.0.2
---
kind: Role
name: rdp-users
allow:
  - targets: [win1, win2]
    access: [rdp]
  - targets: [web1]
    access: [forward]
    ports: [3389]
---
kind: Role
name: rdp-from-office
allow:
  - targets: [win1]
    access: [rdp]
    sourceCidrs: [192.0.2.0/24]
`);
  return {
    gateway, xrdp, display, xvfb, gate: `127.0.0.1:${rdpPort}`,
    stop: async () => {
      try {
        await gateway.stop();
      } finally {
        await Promise.all([xrdp.proc.kill(), xvfb.kill()]);
      }
    },
  };
}

describe('RD Gateway with xrdp and FreeRDP 2', { timeout: 600_000 }, () => {
  const world = suiteFixture(startWorld);

  async function tokenFor(user: string, target: string): Promise<string> {
    const result = await world.gateway.jumpgate(['rdp-file', user, target]);
    assert.equal(result.code, 0, result.stderr);
    const token = /^gatewayaccesstoken:s:(\S+)\r$/m.exec(result.stdout);
    assert.ok(token, result.stdout);
    return token[1];
  }

  function connect(token: string, options: { resource?: string; transport?: string } = {}): Promise<RunResult> {
    return xfreerdp([`/v:${options.resource ?? 'win1'}`, `/g:${world.gate}`, `/gt:${options.transport ?? 'http'}`, `/gat:${token}`,
      '/cert:ignore', '+auth-only', '/u:x', '/p:y'], { display: world.display });
  }

  const output = (result: RunResult) => result.stdout + result.stderr;
  const mark = () => world.gateway.auditEvents().length;
  const sessionEvents = async (from: number, user: string): Promise<{ start: AuditEvent; end: AuditEvent }> => {
    const start = await world.gateway.waitForAuditEvent((e, i) => i >= from && e.type === 'session.start' && e.user === user);
    const end = await world.gateway.waitForAuditEvent((e, i) => i >= from && e.type === 'session.end' && e.session === start.session);
    return { start, end };
  };
  const denial = (from: number, user: string | null) =>
    world.gateway.waitForAuditEvent((e, i) => i >= from && e.type === 'access.denied' && e.access === 'rdp' && e.user === user);

  let usedToken = '';

  /** Sends raw bytes to the gateway over TLS and collects what it answers until it closes (or 10 s pass). */
  async function rawExchange(bytes: Buffer | string): Promise<string> {
    const [host, port] = world.gate.split(':');
    const socket = tlsConnect({ host, port: Number(port), rejectUnauthorized: false });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    await new Promise<void>((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject); });
    socket.write(bytes);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { socket.destroy(); resolve(); }, 10_000);
      socket.on('close', () => { clearTimeout(timer); resolve(); });
      socket.on('error', () => {});
    });
    return Buffer.concat(received).toString('latin1');
  }

  test('the websocket transport reaches xrdp, and the session is audited with bytes both ways', { timeout: TEST_TIMEOUT_MS }, async () => {
    const from = mark();
    usedToken = await tokenFor('alice', 'win1');
    const result = await connect(usedToken);
    assert.equal(result.code, 0, output(result));
    assert.match(output(result), /RDG_OUT_DATA authorization result: 101/);
    assert.match(output(result), /Upgraded to websocket/);
    assert.match(output(result), /Authentication only, exit status 0/);
    const { start, end } = await sessionEvents(from, 'alice');
    assert.equal(start.kind, 'rdp');
    assert.equal(start.target, 'win1');
    assert.equal(start.destination, `127.0.0.1:${world.xrdp.port}`);
    assert.equal(end.kind, 'rdp');
    assert.equal(end.reason, 'closed');
    assert.ok((end.bytes_up as number) > 1000 && (end.bytes_down as number) > 1000, JSON.stringify(end));
    assert.equal(typeof end.duration_ms, 'number');
    assert.ok(!fs.readFileSync(world.gateway.auditLogPath(), 'utf8').includes(usedToken), 'the token never reaches the audit log');
    assert.ok(!world.gateway.stderrText().includes(usedToken), 'nor the gateway log');
  });

  test('the legacy transport (RDG_OUT_DATA and RDG_IN_DATA) reaches xrdp', { timeout: TEST_TIMEOUT_MS }, async () => {
    const from = mark();
    const result = await connect(await tokenFor('alice', 'win1'), { transport: 'http,no-websockets' });
    assert.equal(result.code, 0, output(result));
    assert.match(output(result), /RDG_OUT_DATA authorization result: 200/);
    assert.match(output(result), /RDG_IN_DATA authorization result: 200/);
    assert.match(output(result), /Authentication only, exit status 0/);
    const { end } = await sessionEvents(from, 'alice');
    assert.ok((end.bytes_up as number) > 1000 && (end.bytes_down as number) > 1000, JSON.stringify(end));
  });

  test('the .rdp file from rdp-file takes the client through the gateway', { timeout: TEST_TIMEOUT_MS }, async () => {
    const file = path.join(world.gateway.workDir, 'win1.rdp');
    const written = await world.gateway.jumpgate(['rdp-file', 'alice', 'win1', '--file', file]);
    assert.equal(written.code, 0, written.stderr);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'the file holds a bearer token');
    const text = fs.readFileSync(file, 'utf8');
    assert.match(text, /^full address:s:win1\r$/m);
    assert.match(text, new RegExp(`^gatewayhostname:s:${world.gate}\\r$`, 'm'));
    assert.match(text, /^gatewayusagemethod:i:1\r$/m);
    const from = mark();
    const result = await xfreerdp([file, '/cert:ignore', '+auth-only', '/u:x', '/p:y'], { display: world.display });
    assert.equal(result.code, 0, output(result));
    assert.match(output(result), /Authentication only, exit status 0/);
    await sessionEvents(from, 'alice');
  });

  test('a token not issued by the gateway is refused with the cookie error', { timeout: TEST_TIMEOUT_MS }, async () => {
    const from = mark();
    const result = await connect('not-a-jumpgate-token');
    assert.notEqual(result.code, 0);
    assert.match(output(result), new RegExp(COOKIE_DENIED));
    const denied = await denial(from, null);
    assert.equal(denied.reason, 'gateway access token is not one jumpgate issued');
  });

  test('a token used before is refused', { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.ok(usedToken, 'the first test used a token');
    const from = mark();
    const result = await connect(usedToken);
    assert.notEqual(result.code, 0);
    assert.match(output(result), new RegExp(COOKIE_DENIED));
    assert.equal((await denial(from, 'alice')).reason, 'gateway access token already used');
  });

  test('an expired token is refused', { timeout: TEST_TIMEOUT_MS }, async () => {
    const settingsFile = path.join(world.gateway.dataDir, 'jumpgate.yaml');
    const settings = fs.readFileSync(settingsFile, 'utf8');
    // The lifetime is written into the token when it is issued: the running gateway's settings do not matter.
    fs.writeFileSync(settingsFile, settingsWith([[['rdp', 'tokenTTL'], '1s']])(settings));
    let token: string;
    try {
      token = await tokenFor('alice', 'win1');
    } finally {
      fs.writeFileSync(settingsFile, settings);
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const from = mark();
    const result = await connect(token);
    assert.notEqual(result.code, 0);
    assert.match(output(result), new RegExp(COOKIE_DENIED));
    assert.equal((await denial(from, 'alice')).reason, 'gateway access token expired');
  });

  test('a token for another target than the one asked is refused with the resource error', { timeout: TEST_TIMEOUT_MS }, async () => {
    const from = mark();
    const result = await connect(await tokenFor('alice', 'win2'), { resource: 'win1' });
    assert.notEqual(result.code, 0);
    assert.match(output(result), new RegExp(RAP_DENIED));
    const denied = await denial(from, 'alice');
    assert.equal(denied.reason, 'the gateway access token is for win2, not win1');
    assert.equal(denied.destination, 'win1:3389');
  });

  test('a target without an rdp grant gets no token, and a grant revoked after issue stops the token', { timeout: TEST_TIMEOUT_MS }, async () => {
    const refused = await world.gateway.jumpgate(['rdp-file', 'alice', 'web1']);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, 'jumpgate: alice may not reach web1 over RDP (no rule grants rdp access to web1)\n');
    assert.equal(refused.stdout, '');
    const check = await world.gateway.jumpgate(['policy', 'check', 'alice', 'web1', '--access', 'rdp']);
    assert.deepEqual([check.code, check.stdout], [1, 'deny: no rule grants rdp access to web1\n']);
    const allowed = await world.gateway.jumpgate(['policy', 'check', 'alice', 'win1', '--access', 'rdp']);
    assert.deepEqual([allowed.code, allowed.stdout], [0, 'allow: role rdp-users, rule 1 (targets win1,win2; access rdp)\n']);

    const token = await tokenFor('bob', 'win1');
    await world.gateway.apply('kind: User\nname: bob\nroles: []\n');
    const from = mark();
    const result = await connect(token);
    assert.notEqual(result.code, 0);
    assert.match(output(result), new RegExp(RAP_DENIED));
    assert.equal((await denial(from, 'bob')).reason, 'bob has no roles');
  });

  test('a client outside the rule\'s source addresses is refused with the resource error', { timeout: TEST_TIMEOUT_MS }, async () => {
    const from = mark();
    const result = await connect(await tokenFor('carol', 'win1'));
    assert.notEqual(result.code, 0);
    assert.match(output(result), new RegExp(RAP_DENIED));
    assert.equal((await denial(from, 'carol')).reason, 'no rule grants access from 127.0.0.1');
  });

  test('hostile requests get an HTTP error or a closed connection, and the gateway serves the next client', { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.match(await rawExchange('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 404 Not Found\r\n[\s\S]*jumpgate RD Gateway: not an RD Gateway request\n$/);
    assert.match(await rawExchange('RDG_OUT_DATA / HTTP/1.0\r\n\r\n'), /^HTTP\/1\.1 505 /);
    assert.match(await rawExchange(`RDG_OUT_DATA / HTTP/1.1\r\n${'X-A: b\r\n'.repeat(2000)}\r\n`), /^HTTP\/1\.1 431 /);
    assert.match(await rawExchange('RDG_IN_DATA / HTTP/1.1\r\nRDG-Connection-Id: {nobody}\r\nTransfer-Encoding: chunked\r\n\r\n'), /^HTTP\/1\.1 404 /);
    // An upgraded tunnel whose first packet claims 2 GiB: the connection ends, nothing is buffered for it.
    const upgrade = 'RDG_OUT_DATA / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
    const bogus = Buffer.from([0x82, 0x88, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x80]);
    const answer = await rawExchange(Buffer.concat([Buffer.from(upgrade), bogus]));
    assert.match(answer, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.ok(answer.endsWith('\x88\x02\x03\xe8'), 'a websocket close frame ends it');

    const from = mark();
    const result = await connect(await tokenFor('alice', 'win1'));
    assert.equal(result.code, 0, output(result));
    await sessionEvents(from, 'alice');
  });

  test('the login screen shows through the gateway, and sessions kill ends the session', { timeout: TEST_TIMEOUT_MS }, async () => {
    const from = mark();
    const token = await tokenFor('alice', 'win1');
    // No password: no autologon, so xrdp shows its login screen and waits.
    const client = spawnTracked('xfreerdp', ['/v:win1', `/g:${world.gate}`, '/gt:http', `/gat:${token}`, '/cert:ignore', '/u:x', '/w:1024', '/h:768'],
      { env: { ...process.env, DISPLAY: world.display, HOME: fs.mkdtempSync(path.join(world.gateway.workDir, 'home-')) }, timeoutMs: 90_000 });
    const start = await world.gateway.waitForAuditEvent((e, i) => i >= from && e.type === 'session.start' && e.user === 'alice');
    const shot = path.join(world.gateway.workDir, 'login-screen.png');
    let share = 0;
    for (let attempt = 0; attempt < 20 && share < 0.5; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const grabbed = await run('import', ['-display', world.display, '-window', 'root', shot]);
      assert.equal(grabbed.code, 0, grabbed.stderr);
      // The share of the screen in xrdp's login background colour (#009cb5).
      const measured = await run('convert', [shot, '-fuzz', '4%', '-fill', 'black', '+opaque', '#009cb5', '-fill', 'white', '-opaque', '#009cb5', '-format', '%[fx:mean]', 'info:']);
      share = Number(measured.stdout);
    }
    assert.ok(share > 0.5, `the screen shows xrdp's login screen (share of its background ${share})`);
    if (process.env.JUMPGATE_RDP_SCREENSHOT) fs.copyFileSync(shot, process.env.JUMPGATE_RDP_SCREENSHOT);

    const killed = await world.gateway.jumpgate(['sessions', 'kill', start.session as string]);
    assert.equal(killed.code, 0, killed.stderr);
    assert.equal(killed.stdout, `session ${start.session as string} ended (killed)\n`);
    const end = await world.gateway.waitForAuditEvent((e, i) => i >= from && e.type === 'session.end' && e.session === start.session);
    assert.equal(end.reason, 'killed');
    assert.equal(end.kind, 'rdp');
    const exit = await client.exited;
    assert.equal(exit.timedOut, false, 'the client noticed the end');
  });

  test('a session with no traffic ends as idle after sessions.idleTimeout, and a legacy tunnel outlives ssh.loginGraceTime', { timeout: TEST_TIMEOUT_MS }, async () => {
    const rdpPort = await freePort();
    const gateway = await startGateway({
      settings: settingsWith([[['rdp', 'listen'], `127.0.0.1:${rdpPort}`], [['sessions', 'idleTimeout'], '8s'], [['ssh', 'loginGraceTime'], '3s']]),
    });
    try {
      await waitForPort('127.0.0.1', rdpPort);
      await gateway.apply(`kind: User\nname: alice\nroles: [rdp]\n---\nkind: Target\nname: win1\nhost: 127.0.0.1\nrdpPort: ${world.xrdp.port}\n`
        + '---\nkind: Role\nname: rdp\nallow:\n  - targets: [win1]\n    access: [rdp]\n');
      const issued = await gateway.jumpgate(['rdp-file', 'alice', 'win1']);
      const token = /^gatewayaccesstoken:s:(\S+)\r$/m.exec(issued.stdout)![1];
      // The login screen, then nothing: no input, and xrdp sends nothing once it has drawn it.
      const client = spawnTracked('xfreerdp', ['/v:win1', `/g:127.0.0.1:${rdpPort}`, '/gt:http,no-websockets', `/gat:${token}`, '/cert:ignore', '/u:x'],
        { env: { ...process.env, DISPLAY: world.display, HOME: fs.mkdtempSync(path.join(gateway.workDir, 'home-')) }, timeoutMs: 90_000 });
      const end = await gateway.waitForAuditEvent((e) => e.type === 'session.end' && e.kind === 'rdp', 60_000);
      assert.equal(end.reason, 'idle');
      assert.ok((end.duration_ms as number) >= 8000, `ended after ${end.duration_ms as number} ms: past the 3 s login grace time, at the idle timeout`);
      assert.equal((await client.exited).timedOut, false, 'the client noticed the end');
    } finally {
      await gateway.stop();
    }
  });

  test('stopping serve ends an open RDP session as shutdown and exits 0', { timeout: TEST_TIMEOUT_MS }, async () => {
    const rdpPort = await freePort();
    const gateway = await startGateway({ settings: settingsWith([[['rdp', 'listen'], `127.0.0.1:${rdpPort}`]]) });
    let stopped = false;
    try {
      await waitForPort('127.0.0.1', rdpPort);
      await gateway.apply(`kind: User\nname: alice\nroles: [rdp]\n---\nkind: Target\nname: win1\nhost: 127.0.0.1\nrdpPort: ${world.xrdp.port}\n`
        + '---\nkind: Role\nname: rdp\nallow:\n  - targets: [win1]\n    access: [rdp]\n');
      const issued = await gateway.jumpgate(['rdp-file', 'alice', 'win1']);
      const token = /^gatewayaccesstoken:s:(\S+)\r$/m.exec(issued.stdout)![1];
      const client = spawnTracked('xfreerdp', ['/v:win1', `/g:127.0.0.1:${rdpPort}`, '/gt:http', `/gat:${token}`, '/cert:ignore', '/u:x'],
        { env: { ...process.env, DISPLAY: world.display, HOME: fs.mkdtempSync(path.join(gateway.workDir, 'home-')) }, timeoutMs: 90_000 });
      const start = await gateway.waitForAuditEvent((e) => e.type === 'session.start' && e.kind === 'rdp');
      await gateway.stop();
      stopped = true;
      const end = gateway.auditEvents().find((e) => e.type === 'session.end' && e.session === start.session);
      assert.equal(end?.reason, 'shutdown');
      assert.equal((await client.exited).timedOut, false, 'the client noticed the end');
    } finally {
      if (!stopped) await gateway.stop();
    }
  });
});
