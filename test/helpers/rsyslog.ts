import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { freePort } from './ports.js';
import { spawnTracked, type TrackedProcess } from './processes.js';
import { makeTempDir } from './tmp.js';

/**
 * A real rsyslog (Debian package `rsyslog`; TLS inputs also need
 * `rsyslog-gnutls`) started by a test as a SIEM's receiver: one input (UDP,
 * plain TCP or TLS) on a loopback port, writing every message it receives to a
 * file it owns. Each line of that file is a JSON object holding rsyslog's own
 * reading of the message (pri, protocol version, app-name, msgid, structured
 * data) and `raw`, the message exactly as it came off the wire minus the TCP
 * framing (`%rawmsg%`), so a test can parse it as RFC 5424 itself.
 */
export const rsyslogdBin = '/usr/sbin/rsyslogd';

export type SyslogTransport = 'udp' | 'tcp' | 'tls';

export interface RsyslogTlsOptions {
  /** CA that signed the server certificate (and, with clientAuth, the clients'). */
  caPath: string;
  certPath: string;
  keyPath: string;
  /**
   * Require a client certificate signed by the CA (rsyslog authMode
   * x509/certvalid); the helper's readiness probe presents this one.
   * Default: anonymous clients.
   */
  clientAuth?: { certPath: string; keyPath: string };
}

export interface RsyslogOptions {
  transport: SyslogTransport;
  /** A 127.0.0.0/8 address. Default 127.0.0.1. */
  host?: string;
  /** Default: a free port on host. */
  port?: number;
  /** Required for transport tls. */
  tls?: RsyslogTlsOptions;
}

/** One message as rsyslog stored it. */
export interface ReceivedMessage {
  /** rsyslog's parse. */
  pri: number;
  protocolVersion: string;
  appName: string;
  procId: string;
  msgId: string;
  structuredData: string;
  fromHost: string;
  /** The message as received (RFC 5424 text), without octet-counting framing. */
  raw: string;
}

export interface Rsyslog {
  transport: SyslogTransport;
  host: string;
  port: number;
  /** `host:port`, as jumpgate's sink `address` wants it. */
  address: string;
  /** rsyslog's config, work directory and output file live here. */
  dir: string;
  outputFile: string;
  /** Messages received so far, in arrival order, without the helper's readiness probes. */
  messages(): ReceivedMessage[];
  /** Polls messages() until predicate holds for the whole list; returns that list. */
  waitForMessages(predicate: (messages: ReceivedMessage[]) => boolean, timeoutMs: number, describe?: () => string): Promise<ReceivedMessage[]>;
  isRunning(): boolean;
  /** Starts rsyslogd again on the same port, after stop(). The output file is kept (appended to). */
  start(): Promise<void>;
  /** SIGTERM and wait for the exit (SIGKILL after 5 s). Safe to call twice. */
  stop(): Promise<void>;
  /** rsyslogd's stderr of every run so far (its own errors and warnings). */
  stderrText(): string;
}

/**
 * TLS inputs use rsyslog's GnuTLS stream driver (`gtls`). The OpenSSL driver
 * (`ossl`) of rsyslog 8.2302 (Debian 12) now and then corrupts a TLS 1.3
 * session right after the handshake (the client sees "wrong version number"
 * and answers with a protocol_version alert), which drops messages a client
 * has already written, whoever the client is.
 */
const GTLS_DRIVER_DIRS = ['/usr/lib/x86_64-linux-gnu/rsyslog', '/usr/lib/aarch64-linux-gnu/rsyslog', '/usr/lib/rsyslog'];
const GTLS_DRIVER = GTLS_DRIVER_DIRS.map((d) => path.join(d, 'lmnsd_gtls.so')).find((f) => fs.existsSync(f)) ?? path.join(GTLS_DRIVER_DIRS[0], 'lmnsd_gtls.so');

/** APP-NAME of the helper's own readiness probes, left out of messages(). */
const PROBE_APP = 'rsyslog-test-probe';
const live = new Set<Rsyslog>();

/** A UDP port that is free on `host` right now. */
export function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.on('error', reject);
    socket.bind({ port: 0, address: host, exclusive: true }, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

function quote(value: string): string {
  if (/["\\\n]/.test(value)) throw new Error(`unsupported character in rsyslog config value: ${value}`);
  return `"${value}"`;
}

function configText(options: { transport: SyslogTransport; host: string; port: number; dir: string; outputFile: string; tls?: RsyslogTlsOptions }): string {
  const { transport, host, port, dir, outputFile } = options;
  const lines = [
    // Messages carry whole audit events (an alert carries several): allow 256 KiB.
    `global(workDirectory=${quote(dir)} maxMessageSize="256k")`,
  ];
  if (transport === 'tls') {
    const t = options.tls;
    if (!t) throw new Error('rsyslog: transport tls needs tls options');
    lines.push(
      `global(defaultNetstreamDriverCAFile=${quote(t.caPath)} defaultNetstreamDriverCertFile=${quote(t.certPath)} defaultNetstreamDriverKeyFile=${quote(t.keyPath)})`,
      `module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode=${quote(t.clientAuth ? 'x509/certvalid' : 'anon')})`,
    );
  } else if (transport === 'tcp') {
    lines.push('module(load="imtcp")');
  } else {
    lines.push('module(load="imudp")');
  }
  lines.push(
    // One JSON object a line: rsyslog's reading of the message, and the raw message.
    'template(name="received" type="list") {',
    '  constant(value="{\\"pri\\":\\"") property(name="pri")',
    '  constant(value="\\",\\"version\\":\\"") property(name="protocol-version" format="json")',
    '  constant(value="\\",\\"app\\":\\"") property(name="app-name" format="json")',
    '  constant(value="\\",\\"procid\\":\\"") property(name="procid" format="json")',
    '  constant(value="\\",\\"msgid\\":\\"") property(name="msgid" format="json")',
    '  constant(value="\\",\\"sd\\":\\"") property(name="structured-data" format="json")',
    '  constant(value="\\",\\"from\\":\\"") property(name="fromhost-ip" format="json")',
    '  constant(value="\\",\\"raw\\":\\"") property(name="rawmsg" format="json")',
    '  constant(value="\\"}\\n")',
    '}',
    `ruleset(name="received") { action(type="omfile" file=${quote(outputFile)} template="received") }`,
    transport === 'udp'
      ? `input(type="imudp" address=${quote(host)} port=${quote(String(port))} ruleset="received")`
      : `input(type="imtcp" address=${quote(host)} port=${quote(String(port))} ruleset="received")`,
    '',
  );
  return lines.join('\n');
}

function parseLine(line: string): ReceivedMessage & { probe: boolean } {
  const o = JSON.parse(line) as Record<string, string>;
  return {
    pri: Number(o.pri),
    protocolVersion: o.version ?? '',
    appName: o.app ?? '',
    procId: o.procid ?? '',
    msgId: o.msgid ?? '',
    structuredData: o.sd ?? '',
    fromHost: o.from ?? '',
    raw: o.raw ?? '',
    probe: o.app === PROBE_APP,
  };
}

/** An RFC 5424 message from the helper itself, to see that the input is up. */
function probeMessage(n: number): string {
  return `<14>1 ${new Date().toISOString()} localhost ${PROBE_APP} ${process.pid} probe - ready ${n}`;
}

async function sendProbe(options: { transport: SyslogTransport; host: string; port: number; tls?: RsyslogTlsOptions }, n: number): Promise<void> {
  const message = Buffer.from(probeMessage(n));
  if (options.transport === 'udp') {
    const socket = dgram.createSocket('udp4');
    try {
      await new Promise<void>((resolve, reject) => socket.send(message, options.port, options.host, (e) => (e ? reject(e) : resolve())));
    } finally {
      socket.close();
    }
    return;
  }
  const frame = Buffer.concat([Buffer.from(`${message.length} `), message]);
  await new Promise<void>((resolve, reject) => {
    const t = options.tls;
    const socket: net.Socket = options.transport === 'tls'
      ? tls.connect({
        host: options.host, port: options.port, ca: fs.readFileSync(t!.caPath),
        ...(t!.clientAuth ? { cert: fs.readFileSync(t!.clientAuth.certPath), key: fs.readFileSync(t!.clientAuth.keyPath) } : {}),
      }, () => socket.end(frame, () => resolve()))
      : net.connect({ host: options.host, port: options.port }, () => socket.end(frame, () => resolve()));
    socket.setTimeout(2_000, () => socket.destroy(new Error('probe timed out')));
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
}

/**
 * Starts rsyslogd in the foreground (`rsyslogd -n -f CONFIG -i PIDFILE`) with
 * its own config, work directory and pid file, and resolves once a probe
 * message sent over the input's own transport has reached the output file.
 */
export async function startRsyslog(options: RsyslogOptions): Promise<Rsyslog> {
  if (!fs.existsSync(rsyslogdBin)) throw new Error(`${rsyslogdBin} is missing: install the Debian package rsyslog (and rsyslog-gnutls for TLS)`);
  if (options.transport === 'tls' && !fs.existsSync(GTLS_DRIVER)) throw new Error(`rsyslog's GnuTLS stream driver is missing: install the Debian package rsyslog-gnutls`);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (options.transport === 'udp' ? await freeUdpPort(host) : await freePort(host));
  const dir = makeTempDir(`rsyslog-${options.transport}`);
  const outputFile = path.join(dir, 'received.jsonl');
  const configFile = path.join(dir, 'rsyslog.conf');
  const pidFile = path.join(dir, 'rsyslogd.pid');
  const settings = { transport: options.transport, host, port, dir, outputFile, ...(options.tls ? { tls: options.tls } : {}) };
  fs.writeFileSync(configFile, configText(settings));

  let proc: TrackedProcess | null = null;
  let stopping: Promise<void> | null = null;
  let pastStderr = '';
  let probes = 0;

  const readAll = (): Array<ReceivedMessage & { probe: boolean }> => {
    let text: string;
    try {
      text = fs.readFileSync(outputFile, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const lines = text.split('\n');
    // A line still being written has no newline yet.
    lines.pop();
    return lines.filter((l) => l !== '').map(parseLine);
  };

  const start = async (): Promise<void> => {
    if (proc?.isAlive()) throw new Error(`rsyslog on ${host}:${port} is already running`);
    stopping = null;
    fs.rmSync(pidFile, { force: true });
    const p = spawnTracked(rsyslogdBin, ['-n', '-f', configFile, '-i', pidFile]);
    proc = p;
    const deadline = Date.now() + 15_000;
    const seenBefore = readAll().filter((m) => m.probe).length;
    for (;;) {
      if (!p.isAlive()) {
        const r = await p.exited;
        pastStderr += r.stderr;
        throw new Error(`rsyslogd exited ${r.code ?? r.signal} before its ${options.transport} input on ${host}:${port} was up\n${r.stderr}\nconfig:\n${configText(settings)}`);
      }
      if (readAll().filter((m) => m.probe).length > seenBefore) return;
      if (Date.now() > deadline) {
        await p.kill(1_000);
        pastStderr += p.stderr();
        throw new Error(`rsyslog's ${options.transport} input on ${host}:${port} received no probe within 15 s\nstderr:\n${p.stderr()}\nconfig:\n${configText(settings)}`);
      }
      probes += 1;
      await sendProbe(settings, probes).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const rsyslog: Rsyslog = {
    transport: options.transport,
    host,
    port,
    address: `${host}:${port}`,
    dir,
    outputFile,
    messages: () => readAll().filter((m) => !m.probe).map(({ probe: _probe, ...m }) => m),
    waitForMessages: async (predicate, timeoutMs, describe) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const messages = rsyslog.messages();
        if (predicate(messages)) return messages;
        if (Date.now() > deadline) {
          throw new Error(
            `rsyslog (${options.transport} ${host}:${port}) did not receive the expected messages within ${timeoutMs} ms; ` +
              `${messages.length} so far${describe ? `\n${describe()}` : ''}\nrsyslogd stderr:\n${rsyslog.stderrText()}`,
          );
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    isRunning: () => proc?.isAlive() ?? false,
    start,
    stop: () => {
      stopping ??= (async () => {
        const p = proc;
        if (!p) return;
        // rsyslogd ends on SIGTERM after writing out what it has queued.
        await p.kill(5_000);
        pastStderr += p.stderr();
        proc = null;
      })();
      return stopping;
    },
    stderrText: () => pastStderr + (proc ? proc.stderr() : ''),
  };
  live.add(rsyslog);
  await start();
  return rsyslog;
}

/** For after(): stops every rsyslog startRsyslog() started that is still running. */
export async function stopRsyslogs(): Promise<void> {
  await Promise.all([...live].map((r) => r.stop()));
  live.clear();
}
