/**
 * Audit to the SIEM, end to end: a real rsyslog receives the gateway's events over
 * UDP, TCP and TLS and they parse back as RFC 5424 with their structured data intact;
 * nothing is lost or duplicated while the receiver is down across a gateway restart;
 * a webhook receiver gets signed alerts (and nothing else when `events: false`);
 * /metrics moves with a session.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { settingsWith, startGateway, type AuditEvent, type Gateway } from '../helpers/gateway.js';
import { freePort } from '../helpers/ports.js';
import { startRsyslog, stopRsyslogs, type ReceivedMessage, type Rsyslog } from '../helpers/rsyslog.js';
import { describeRun } from '../helpers/ssh-client.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { issueCertificate, makeCertificateAuthority } from '../helpers/tls-certs.js';
import { makeTempDir } from '../helpers/tmp.js';
import { closeWebhookReceivers, expectedSignature, signatureValid, startWebhookReceiver } from '../helpers/webhook-receiver.js';
import { osLogin } from '../helpers/sshd.js';
import { startWorld } from '../helpers/world.js';

// ---------------------------------------------------------------------------
// RFC 5424 (syslog) parsing, independent of the product's formatter.

interface SdElement {
  id: string;
  params: Array<[name: string, value: string]>;
}

interface Rfc5424Message {
  pri: number;
  facility: number;
  severity: number;
  version: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  structuredData: SdElement[];
  /** STRUCTURED-DATA exactly as it appeared on the wire. */
  sdText: string;
  msg: string | null;
}

const PRINTUSASCII = /^[\x21-\x7e]+$/;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$/;

/** Parses one RFC 5424 message (§6); throws naming what is wrong. */
function parseRfc5424(text: string): Rfc5424Message {
  const header = /^<(\d{1,3})>([1-9]\d{0,2}) (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(text);
  if (!header) throw new Error(`not an RFC 5424 header: ${text.slice(0, 160)}`);
  const [, priText, versionText, timestamp, hostname, appName, procId, msgId] = header as unknown as string[];
  const pri = Number(priText);
  if (pri > 191) throw new Error(`PRI ${pri} out of range`);
  if (timestamp !== '-' && !TIMESTAMP.test(timestamp)) throw new Error(`TIMESTAMP ${timestamp} is not RFC 3339`);
  const limits: Array<[string, string, number]> = [['HOSTNAME', hostname, 255], ['APP-NAME', appName, 48], ['PROCID', procId, 128], ['MSGID', msgId, 32]];
  for (const [field, value, max] of limits) {
    if (!PRINTUSASCII.test(value) || value.length > max) throw new Error(`${field} ${JSON.stringify(value)} is not 1-${max} printable ASCII characters`);
  }

  let i = header[0].length;
  const sdStart = i;
  const structuredData: SdElement[] = [];
  const fail = (what: string): never => {
    throw new Error(`STRUCTURED-DATA: ${what} at offset ${i}: ${JSON.stringify(text.slice(Math.max(0, i - 20), i + 40))}`);
  };
  const sdName = (): string => {
    const start = i;
    while (i < text.length && /[\x21-\x7e]/.test(text[i]) && !'= ]"'.includes(text[i])) i += 1;
    const name = text.slice(start, i);
    if (name.length < 1 || name.length > 32) fail(`SD-NAME ${JSON.stringify(name)} must be 1-32 characters`);
    return name;
  };
  if (text[i] === '-') {
    i += 1;
  } else {
    if (text[i] !== '[') fail('expected "-" or "["');
    while (text[i] === '[') {
      i += 1;
      const element: SdElement = { id: sdName(), params: [] };
      while (text[i] === ' ') {
        i += 1;
        const name = sdName();
        if (text.slice(i, i + 2) !== '="') fail('expected ="');
        i += 2;
        let value = '';
        for (;;) {
          if (i >= text.length) fail('unterminated PARAM-VALUE');
          const c = text[i];
          if (c === '"') break;
          if (c === ']') fail('unescaped "]" in PARAM-VALUE');
          if (c === '\\' && i + 1 < text.length && '"\\]'.includes(text[i + 1])) {
            value += text[i + 1];
            i += 2;
            continue;
          }
          // §6.3.3: a backslash before any other character is kept as it is.
          value += c;
          i += 1;
        }
        i += 1; // the closing quote
        element.params.push([name, value]);
      }
      if (text[i] !== ']') fail('expected "]"');
      i += 1;
      structuredData.push(element);
    }
  }
  const sdText = text.slice(sdStart, i);
  let msg: string | null = null;
  if (i < text.length) {
    if (text[i] !== ' ') fail('expected a space before MSG');
    msg = text.slice(i + 1).replace(/^\uFEFF/, '');
  }
  return { pri, facility: pri >> 3, severity: pri & 7, version: Number(versionText), timestamp, hostname, appName, procId, msgId, structuredData, sdText, msg };
}

const SD_ID = 'jumpgate@32473';
const AUTHPRIV = 10;
const SEVERITY = { critical: 2, warning: 4, notice: 5, info: 6 } as const;

/** What the settings contract says: warning or worse for alerts, notice for failures, denials and bans, info otherwise. */
function expectedSeverity(event: AuditEvent): number {
  if (event.type === 'alert') return String(event.name).includes('hostkey') ? SEVERITY.critical : SEVERITY.warning;
  if (event.type === 'hostkey.mismatch') return SEVERITY.warning;
  if (['auth.failure', 'access.denied', 'ban.add', 'upstream.failure'].includes(event.type)) return SEVERITY.notice;
  return SEVERITY.info;
}

/** The jumpgate SD element's params as an object; fails when it is missing or a param repeats. */
function jumpgateParams(message: Rfc5424Message): Record<string, string> {
  const elements = message.structuredData.filter((e) => e.id === SD_ID);
  assert.equal(elements.length, 1, `one [${SD_ID} ...] element expected in ${message.sdText}`);
  const params: Record<string, string> = {};
  for (const [name, value] of elements[0].params) {
    assert.ok(!(name in params), `param ${name} twice in ${message.sdText}`);
    params[name] = value;
  }
  return params;
}

/** The event id in a received message's structured data. */
function idOf(received: ReceivedMessage): string {
  return jumpgateParams(parseRfc5424(received.raw)).id ?? '';
}

/**
 * Checks one received message against the audit.log event it carries: RFC 5424
 * header, PRI, MSGID, every scalar field as an SD param, the JSON as MSG, and
 * rsyslog's own parse agreeing with ours.
 */
function assertCarries(received: ReceivedMessage, event: AuditEvent, appName: string): void {
  const show = `\nreceived: ${received.raw}\nevent: ${JSON.stringify(event)}`;
  const m = parseRfc5424(received.raw);
  assert.equal(m.version, 1, `VERSION${show}`);
  assert.equal(m.facility, AUTHPRIV, `facility${show}`);
  assert.equal(m.severity, expectedSeverity(event), `severity${show}`);
  assert.equal(m.timestamp, event.ts, `TIMESTAMP${show}`);
  assert.equal(m.hostname, os.hostname(), `HOSTNAME${show}`);
  assert.equal(m.appName, appName, `APP-NAME${show}`);
  assert.match(m.procId, /^\d+$/, `PROCID${show}`);
  assert.equal(m.msgId, event.type, `MSGID${show}`);

  const params = jumpgateParams(m);
  for (const field of ['id', 'type', 'user', 'src'] as const) {
    const value = event[field];
    if (value === null || value === undefined) assert.ok(!(field in params), `${field} is null in the event, yet in SD${show}`);
    else assert.equal(params[field], String(value), `SD ${field}${show}`);
  }
  const scalars = Object.entries(event).filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object');
  assert.deepEqual(params, Object.fromEntries(scalars.map(([k, v]) => [k, String(v)])), `SD params are the event's scalar fields${show}`);

  assert.ok(m.msg !== null, `MSG missing${show}`);
  assert.deepEqual(JSON.parse(m.msg), event, `MSG is the event's JSON${show}`);

  // rsyslog read it as RFC 5424 too (an RFC 3164 reading has no version, MSGID or SD).
  assert.equal(received.protocolVersion, '1', `rsyslog's protocol-version${show}`);
  assert.equal(received.pri, m.pri, `rsyslog's pri${show}`);
  assert.equal(received.appName, appName, `rsyslog's app-name${show}`);
  assert.equal(received.msgId, event.type, `rsyslog's msgid${show}`);
  assert.equal(received.structuredData, m.sdText, `rsyslog's structured-data${show}`);
  assert.equal(received.fromHost, '127.0.0.1', `rsyslog's fromhost-ip${show}`);
}

// ---------------------------------------------------------------------------
// Prometheus text format.

type Samples = Map<string, number>;

function sampleKey(name: string, labels: Record<string, string>): string {
  const inner = Object.keys(labels).sort().map((k) => `${k}="${labels[k]}"`).join(',');
  return `${name}{${inner}}`;
}

function parsePrometheus(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    assert.ok(match, `not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.set(sampleKey(match[1], labels), Number(match[3]));
  }
  return samples;
}

/** A sample's value; 0 when the series does not exist yet (a counter never incremented). */
function sample(samples: Samples, name: string, labels: Record<string, string> = {}): number {
  return samples.get(sampleKey(name, labels)) ?? 0;
}

async function scrape(httpAddress: string): Promise<{ status: number; contentType: string; text: string; samples: Samples }> {
  const response = await fetch(`http://${httpAddress}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text, samples: response.ok ? parsePrometheus(text) : new Map() as Samples };
}

async function waitForSample(httpAddress: string, description: string, predicate: (s: Samples) => boolean, timeoutMs: number): Promise<Samples> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { samples, text } = await scrape(httpAddress);
    if (predicate(samples)) return samples;
    if (Date.now() > deadline) throw new Error(`/metrics: ${description} not seen within ${timeoutMs} ms; last scrape:\n${text.split('\n').filter((l) => l.startsWith('jumpgate_') && !l.startsWith('jumpgate_process_')).join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// The cast: startWorld's gateway (with settings), db1, alice (jump to db1), bob (no roles)
// and a stranger claiming to be alice; quiet towards the gateway.
const startCast = (settings: (yaml: string) => string) => startWorld({ settings, gateLogLevel: 'ERROR' });

function syslogSink(name: string, rsyslog: Rsyslog, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, type: 'syslog', transport: rsyslog.transport, address: rsyslog.address, facility: 'authpriv', appName: 'jumpgate', ...extra };
}

/** Stops everything a suite started besides the cast: rsyslogs and webhook receivers. */
async function stopReceivers(): Promise<void> {
  try {
    await stopRsyslogs();
  } finally {
    await closeWebhookReceivers();
  }
}

function describeEvents(events: readonly AuditEvent[]): string {
  return events.map((e) => `${e.type}(${String(e.user)})`).join(', ');
}

// ---------------------------------------------------------------------------

describe('syslog sinks: a real rsyslog receives RFC 5424 over UDP, TCP and TLS', () => {
  const UNPINNED_APP = 'jumpgate-unpinned';
  const f = suiteFixture(async () => {
    const certDir = makeTempDir('siem-certs');
    const ca = await makeCertificateAuthority(path.join(certDir, 'ca'), 'siem-ca');
    const server = await issueCertificate(ca, 'rsyslog-server');
    const client = await issueCertificate(ca, 'jumpgate-client', { usage: 'client' });
    const probeClient = await issueCertificate(ca, 'probe-client', { usage: 'client' });
    // A CA that did not sign the receiver's certificate: a sink pinned to it must not deliver.
    const otherCa = await makeCertificateAuthority(path.join(certDir, 'other'), 'other-ca');

    const udp = await startRsyslog({ transport: 'udp' });
    const tcp = await startRsyslog({ transport: 'tcp' });
    const tlsReceiver = await startRsyslog({ transport: 'tls', tls: { caPath: ca.certPath, certPath: server.certPath, keyPath: server.keyPath } });
    const mutual = await startRsyslog({ transport: 'tls', tls: { caPath: ca.certPath, certPath: server.certPath, keyPath: server.keyPath, clientAuth: probeClient } });
    const http = `127.0.0.1:${await freePort()}`;

    const cast = await startCast(settingsWith([
      [['http', 'listen'], http],
      [['audit', 'sinks'], [
        syslogSink('siem-udp', udp),
        syslogSink('siem-tcp', tcp),
        syslogSink('siem-tls', tlsReceiver, { tls: { ca: ca.certPath, cert: null, key: null } }),
        syslogSink('siem-mtls', mutual, { tls: { ca: ca.certPath, cert: client.certPath, key: client.keyPath } }),
        syslogSink('siem-unpinned', tlsReceiver, { appName: UNPINNED_APP, tls: { ca: otherCa.certPath, cert: null, key: null } }),
      ]],
    ]));
    return {
      ...cast,
      http,
      receivers: { udp, tcp, tls: tlsReceiver, mtls: mutual },
      stop: async () => {
        try {
          await cast.stop();
        } finally {
          await stopReceivers();
        }
      },
    };
  });

  test('events of a session, a wrong key, a bad login name and a refusal arrive over every transport, parsed back intact', { timeout: 120_000 }, async () => {
    const jump = await f.alice.run(['-J', 'gate', `${osLogin}@db1`, 'echo through the gate']);
    assert.equal(jump.code, 0, describeRun(jump));
    const wrongKey = await f.stranger.run(['-J', 'gate', `${osLogin}@db1`, 'true']);
    assert.equal(wrongKey.code, 255, describeRun(wrongKey));
    // `alice+` is not a valid login name; the failure's reason quotes it, so SD escaping is exercised.
    const badName = await f.stranger.run(['-l', 'alice+', 'gate', 'true']);
    assert.equal(badName.code, 255, describeRun(badName));
    const denied = await f.bob.run(['-J', 'gate', `${osLogin}@db1`, 'true']);
    assert.notEqual(denied.code, 0, describeRun(denied));

    const g = f.gateway;
    await g.waitForAuditEvent((e) => e.type === 'session.end' && e.user === 'alice', 15_000);
    await g.waitForAuditEvent((e) => e.type === 'auth.failure' && String(e.reason).includes('"alice+"'), 15_000);
    await g.waitForAuditEvent((e) => e.type === 'access.denied' && e.user === 'bob', 15_000);
    const events = g.auditEvents();
    for (const type of ['config.change', 'auth.success', 'session.start', 'session.end', 'auth.failure', 'access.denied']) {
      assert.ok(events.some((e) => e.type === type), `no ${type} in audit.log: ${describeEvents(events)}`);
    }
    const byId = new Map(events.map((e) => [e.id, e]));
    const wantedIds = events.map((e) => e.id);

    for (const [name, receiver] of Object.entries(f.receivers)) {
      const received = await receiver.waitForMessages(
        (messages) => {
          const ids = new Set(messages.filter((m) => m.appName === 'jumpgate').map(idOf));
          return wantedIds.every((id) => ids.has(id));
        },
        45_000,
        () => `audit.log: ${describeEvents(events)}\ngateway stderr:\n${g.stderrText()}`,
      );
      const ours = received.filter((m) => m.appName === 'jumpgate' && byId.has(idOf(m)));
      const ids = ours.map(idOf);
      assert.equal(new Set(ids).size, ids.length, `${name}: an event arrived twice: ${ids.join(' ')}`);
      if (receiver.transport !== 'udp') {
        // A stream delivers in chain order (datagrams could in principle be reordered).
        assert.deepEqual(ids, wantedIds, `${name}: events out of order`);
      }
      for (const m of ours) assertCarries(m, byId.get(idOf(m))!, 'jumpgate');
      const quoted = ours.find((m) => idOf(m) === events.find((e) => String(e.reason).includes('"alice+"'))!.id)!;
      assert.ok(quoted.raw.includes('\\"alice+\\"'), `${name}: the quotes in the reason are escaped in SD: ${quoted.raw}`);
    }
  });

  test('a TLS sink pinned to another CA delivers nothing and keeps its events spooled', { timeout: 60_000 }, async () => {
    const events = f.gateway.auditEvents();
    assert.ok(events.length > 0);
    const samples = await waitForSample(f.http, 'siem-unpinned spool holding events, siem-tls spool empty',
      (s) => sample(s, 'jumpgate_audit_spool_bytes', { sink: 'siem-unpinned' }) > 0 && sample(s, 'jumpgate_audit_spool_bytes', { sink: 'siem-tls' }) === 0, 20_000);
    for (const sink of ['siem-udp', 'siem-tcp', 'siem-tls', 'siem-mtls']) {
      assert.equal(sample(samples, 'jumpgate_audit_spool_bytes', { sink }), 0, `${sink} should have delivered everything`);
    }
    const foreign = f.receivers.tls.messages().filter((m) => m.appName === UNPINNED_APP);
    assert.deepEqual(foreign.map((m) => m.raw), [], 'the receiver\'s certificate is not signed by the pinned CA, so nothing may be sent');
    assert.match(f.gateway.stderrText(), /siem-unpinned/, `the gateway should say the sink is unreachable:\n${f.gateway.stderrText()}`);
  });
});

describe('TCP syslog loses nothing: 1,000 events with the receiver down for the middle and a gateway restart', () => {
  const f = suiteFixture(async () => {
    const rsyslog = await startRsyslog({ transport: 'tcp' });
    const http = `127.0.0.1:${await freePort()}`;
    const gateway = await startGateway({
      settings: settingsWith([
        [['http', 'listen'], http],
        [['audit', 'sinks'], [syslogSink('siem', rsyslog)]],
      ]),
    });
    return {
      gateway,
      rsyslog,
      http,
      stop: async () => {
        try {
          await gateway.stop();
        } finally {
          await stopReceivers();
        }
      },
    };
  });

  /** `count` config.change events, cheaply: one `jumpgate apply` of that many new users. */
  async function burst(g: Gateway, first: number, count: number): Promise<void> {
    const docs = Array.from({ length: count }, (_, k) => `kind: User\nname: load-${String(first + k).padStart(4, '0')}\nroles: []\n`);
    // Only the changes count: the gateway's own node.up may land while the apply runs.
    const changes = () => g.auditEvents().filter((e) => e.type === 'config.change').length;
    const before = changes();
    await g.apply(docs.join('---\n'));
    assert.equal(changes(), before + count, `apply of ${count} users should record ${count} events`);
  }

  const received = (r: Rsyslog): string[] => r.messages().filter((m) => m.appName === 'jumpgate').map(idOf);

  test('every event arrives exactly once and in order after recovery', { timeout: 180_000 }, async () => {
    const g = f.gateway;
    const spool = (s: Samples): number => sample(s, 'jumpgate_audit_spool_bytes', { sink: 'siem' });

    // 1. 300 events while the receiver is up (after the gateway's node.up): all delivered.
    await burst(g, 0, 300);
    const upToNow = g.auditEvents().map((e) => e.id);
    await f.rsyslog.waitForMessages((m) => m.length >= upToNow.length, 60_000);
    assert.deepEqual(received(f.rsyslog), upToNow, 'the first 300 events, in order');

    // 2. The receiver stops between bursts, never during one: the sink counts an
    //    event delivered once the kernel took it, so what is written into a
    //    connection whose far end is going away at that moment can be lost
    //    (plain syslog over TCP has no acknowledgements). The pause lets the
    //    gateway see the receiver's FIN before the next events come.
    await f.rsyslog.stop();
    await new Promise((r) => setTimeout(r, 1_000));
    await burst(g, 300, 300);
    await waitForSample(f.http, 'events waiting in the siem spool', (s) => spool(s) > 0, 20_000);

    // 3. The gateway restarts while the receiver is still down; 400 more events.
    await g.restart();
    await burst(g, 600, 400);
    await waitForSample(f.http, 'events waiting in the siem spool after the restart', (s) => spool(s) > 0, 20_000);
    assert.equal(received(f.rsyslog).length, upToNow.length, 'nothing can arrive while the receiver is down');

    // 4. The receiver comes back: the spool drains, in order, without duplicates.
    await f.rsyslog.start();
    const all = g.auditEvents().map((e) => e.id);
    const changes = g.auditEvents().filter((e) => e.type === 'config.change').length;
    assert.equal(changes, 1000, `audit.log should hold the 1,000 events: ${changes}`);
    await f.rsyslog.waitForMessages((m) => m.length >= all.length, 90_000, () => `received ${received(f.rsyslog).length} of ${all.length}`);
    // Give a duplicate (a batch sent twice) time to show up before judging.
    await waitForSample(f.http, 'an empty siem spool', (s) => spool(s) === 0, 30_000);
    await new Promise((r) => setTimeout(r, 1_500));
    const ids = received(f.rsyslog);
    const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
    assert.deepEqual(duplicates, [], 'events delivered twice');
    const missing = all.filter((id) => !ids.includes(id));
    assert.deepEqual(missing, [], 'events never delivered');
    assert.deepEqual(ids, all, 'every event exactly once, in the order of audit.log');

    // Each message still carries its event whole.
    const byId = new Map(g.auditEvents().map((e) => [e.id, e]));
    for (const m of f.rsyslog.messages()) assertCarries(m, byId.get(idOf(m))!, 'jumpgate');
  });
});

describe('webhook sink: signed alerts for an auth-failure burst, nothing else with events: false', () => {
  const SECRET = 'webhook-shared-secret';
  const f = suiteFixture(async () => {
    const hook = await startWebhookReceiver();
    const rsyslog = await startRsyslog({ transport: 'udp' });
    const secretDir = makeTempDir('hook-secret');
    const secretFile = path.join(secretDir, 'hook.secret');
    // A trailing newline, as an editor leaves it: the secret is the trimmed content.
    fs.writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
    const http = `127.0.0.1:${await freePort()}`;
    const cast = await startCast(settingsWith([
      [['http', 'listen'], http],
      // The burst must not be cut short by a ban of the client's address.
      [['bans', 'maxAuthFailures'], 1000],
      [['audit', 'sinks'], [
        { name: 'hook', type: 'webhook', url: hook.url('/jumpgate'), secretFile, events: false },
        syslogSink('siem', rsyslog, { events: false }),
      ]],
      [['audit', 'alerts'], [{ name: 'brute', on: 'auth.failure', count: 5, window: '1m', notify: ['hook', 'siem'] }]],
    ]));
    return {
      ...cast,
      hook,
      rsyslog,
      http,
      stop: async () => {
        try {
          await cast.stop();
        } finally {
          await stopReceivers();
        }
      },
    };
  });

  test('five failed logins within the window fire one signed alert to the webhook and to syslog at warning', { timeout: 120_000 }, async () => {
    const g = f.gateway;
    const failures = (): AuditEvent[] => g.auditEvents().filter((e) => e.type === 'auth.failure');

    // Ordinary events first: a session and the resources applied at start.
    const jump = await f.alice.run(['-J', 'gate', `${osLogin}@db1`, 'true']);
    assert.equal(jump.code, 0, describeRun(jump));
    await g.waitForAuditEvent((e) => e.type === 'session.end' && e.user === 'alice', 15_000);

    // Four failed logins, one client at a time; a failure is noted just after the client is told,
    // so each is awaited before the next client starts.
    for (let i = 1; i <= 4; i++) {
      const r = await f.stranger.run(['gate', 'true']);
      assert.equal(r.code, 255, describeRun(r));
      const deadline = Date.now() + 10_000;
      while (failures().length < i && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(failures().length, 4, 'one failed client login should record one auth.failure');
    // Ordinary events are not for these sinks, and four failures are below the count.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.deepEqual(f.hook.requests().map((r) => r.body.toString('utf8')), [], 'nothing before the fifth failure');
    assert.deepEqual(f.rsyslog.messages().map((m) => m.raw), [], 'nothing before the fifth failure');
    assert.ok(!g.auditEvents().some((e) => e.type === 'alert'), 'no alert before the fifth failure');

    const fifth = await f.stranger.run(['gate', 'true']);
    assert.equal(fifth.code, 255, describeRun(fifth));
    const alert = await g.waitForAuditEvent((e) => e.type === 'alert', 10_000);
    const [request] = await f.hook.waitForRequests((r) => r.length >= 1, 30_000);
    assert.ok(request);

    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/jumpgate');
    assert.match(String(request.headers['content-type']), /^application\/json/);
    const signature = request.headers['x-jumpgate-signature'];
    assert.ok(
      signatureValid(SECRET, request.body, signature),
      `X-Jumpgate-Signature ${String(signature)} should be ${expectedSignature(SECRET, request.body)} (HMAC-SHA256 of the body under the trimmed secret)`,
    );
    assert.deepEqual(request.json, alert, 'the body is the alert event of audit.log');

    const body = request.json;
    assert.equal(body.type, 'alert');
    assert.equal(body.name, 'brute');
    assert.deepEqual(body.notify, ['hook', 'siem']);
    assert.equal(body.count, 5);
    const triggering = body.events as AuditEvent[];
    assert.ok(Array.isArray(triggering), `events: ${JSON.stringify(body)}`);
    assert.deepEqual(triggering.map((e) => e.type), Array(5).fill('auth.failure'));
    assert.deepEqual(triggering.map((e) => e.id), failures().slice(0, 5).map((e) => e.id), 'the five failures that triggered it');

    // The syslog sink takes alerts only too, at severity warning.
    const [syslog] = await f.rsyslog.waitForMessages((m) => m.length >= 1, 30_000);
    assert.ok(syslog);
    assertCarries(syslog, alert, 'jumpgate');
    assert.equal(parseRfc5424(syslog.raw).severity, SEVERITY.warning);

    // Still nothing but that one alert, on either sink.
    await new Promise((r) => setTimeout(r, 2_000));
    assert.deepEqual(f.hook.requests().map((r) => (r.json as AuditEvent).type), ['alert'], 'events: false sends alerts only, each once');
    assert.deepEqual(f.rsyslog.messages().map((m) => m.msgId), ['alert'], 'events: false sends alerts only, each once');

    const metrics = await scrape(f.http);
    assert.equal(sample(metrics.samples, 'jumpgate_alerts_total', { name: 'brute' }), 1, 'jumpgate_alerts_total{name="brute"}');
  });
});

describe('/metrics over HTTP moves with a session', () => {
  const f = suiteFixture(async () => {
    const http = `127.0.0.1:${await freePort()}`;
    const cast = await startCast(settingsWith([[['http', 'listen'], http]]));
    return { ...cast, http };
  });

  test('sessions, auth results, bytes and dial latency count up; sessions_open is 1 while a session is held', { timeout: 120_000 }, async () => {
    const first = await scrape(f.http);
    assert.equal(first.status, 200, first.text);
    assert.match(first.contentType, /^text\/plain/);
    for (const name of ['jumpgate_sessions_open', 'jumpgate_sessions_total', 'jumpgate_auth_total', 'jumpgate_access_denied_total', 'jumpgate_bans_total',
      'jumpgate_bytes_relayed_total', 'jumpgate_upstream_dial_seconds', 'jumpgate_audit_spool_bytes', 'jumpgate_alerts_total']) {
      assert.ok(first.text.includes(`# TYPE ${name} `), `/metrics should declare ${name}:\n${first.text}`);
    }
    const before = first.samples;
    const jumpTotal = (s: Samples): number => sample(s, 'jumpgate_sessions_total', { kind: 'jump' });
    const jumpOpen = (s: Samples): number => sample(s, 'jumpgate_sessions_open', { kind: 'jump' });
    const keyAuth = (s: Samples, result: string): number => sample(s, 'jumpgate_auth_total', { result, method: 'publickey' });
    const dials = (s: Samples): number => [...s].filter(([k]) => k.startsWith('jumpgate_upstream_dial_seconds_count{')).reduce((n, [, v]) => n + v, 0);

    // One session through the gate, start to end.
    const jump = await f.alice.run(['-J', 'gate', `${osLogin}@db1`, 'echo counted']);
    assert.equal(jump.code, 0, describeRun(jump));
    await f.gateway.waitForAuditEvent((e) => e.type === 'session.end' && e.user === 'alice', 15_000);
    const after = await waitForSample(f.http, 'the session counted', (s) => jumpTotal(s) === jumpTotal(before) + 1, 10_000);
    assert.equal(keyAuth(after, 'success'), keyAuth(before, 'success') + 1, 'jumpgate_auth_total{result="success",method="publickey"}');
    assert.equal(jumpOpen(after), 0, 'the session is over');
    assert.ok(sample(after, 'jumpgate_bytes_relayed_total', { direction: 'up' }) > sample(before, 'jumpgate_bytes_relayed_total', { direction: 'up' }), 'bytes up');
    assert.ok(sample(after, 'jumpgate_bytes_relayed_total', { direction: 'down' }) > sample(before, 'jumpgate_bytes_relayed_total', { direction: 'down' }), 'bytes down');
    assert.ok(dials(after) > dials(before), 'jumpgate_upstream_dial_seconds observed the dial to db1');

    // A session held open shows in the gauge, and leaves it when it ends.
    const held = f.alice.spawn(['-J', 'gate', `${osLogin}@db1`, 'sleep 60']);
    try {
      const open = await waitForSample(f.http, 'jumpgate_sessions_open{kind="jump"} 1', (s) => jumpOpen(s) === 1, 20_000);
      assert.equal(jumpTotal(open), jumpTotal(after) + 1);
    } finally {
      await held.kill();
    }
    await waitForSample(f.http, 'jumpgate_sessions_open{kind="jump"} back to 0', (s) => jumpOpen(s) === 0, 20_000);

    // A refused key and a refused request count too.
    const wrongKey = await f.stranger.run(['gate', 'true']);
    assert.equal(wrongKey.code, 255, describeRun(wrongKey));
    const denied = await f.bob.run(['-J', 'gate', `${osLogin}@db1`, 'true']);
    assert.notEqual(denied.code, 0, describeRun(denied));
    const last = await waitForSample(f.http, 'a failed authentication and a denial',
      (s) => keyAuth(s, 'failure') > keyAuth(before, 'failure') && sample(s, 'jumpgate_access_denied_total', { access: 'jump' }) > sample(before, 'jumpgate_access_denied_total', { access: 'jump' }), 10_000);
    assert.ok(keyAuth(last, 'success') >= keyAuth(after, 'success') + 2, 'alice and bob authenticated');

    const health = await fetch(`http://${f.http}/healthz`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(health.status, 200);
  });
});
