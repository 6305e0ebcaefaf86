/**
 * The `webterm` rows: a terminal through the web console's WebSocket (a `ws` client signed in
 * through the API, as the page is) against the same proxied session over SSH (an ssh2 client,
 * `alice+target@gate` with a pty), both to `cat` on the target's pty: keystroke round trips
 * (one character out, its echo back) and characters echoed per second.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import ssh2, { type ParsedKey } from 'ssh2';
import WebSocket from 'ws';
import { freePort, repoRoot, startGatewayVariant, type World } from './world.js';
import { publicKeyAuth, readKey } from './load-generator.js';

const PASSWORD = 'bench-web-terminal-password';

/** A terminal as the benchmark drives it: bytes out, bytes back. */
interface Terminal {
  write(data: string): void;
  onData(listener: (data: Buffer) => void): void;
  close(): void;
}

async function webTerminal(base: string, target: string): Promise<Terminal> {
  const signIn = await fetch(`${base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'alice', password: PASSWORD }) });
  if (!signIn.ok) throw new Error(`sign-in failed: ${signIn.status} ${await signIn.text()}`);
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0];
  const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/api/v1/terminal?target=${target}&cols=200&rows=50`, { headers: { cookie, origin: base } });
  await new Promise<void>((resolve, reject) => { socket.once('open', () => resolve()); socket.once('error', reject); });
  const listeners: Array<(data: Buffer) => void> = [];
  socket.on('message', (data: Buffer, binary: boolean) => { if (binary) for (const listener of listeners) listener(data); });
  return { write: (data) => socket.send(Buffer.from(data)), onData: (listener) => listeners.push(listener), close: () => socket.close() };
}

async function sshTerminal(port: number, user: string, key: ParsedKey): Promise<Terminal> {
  const client = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve()).once('error', reject);
    client.connect({ host: '127.0.0.1', port, username: user, authHandler: [publicKeyAuth(user, key)], algorithms: { kex: ['curve25519-sha256'], cipher: ['aes128-gcm@openssh.com'] } });
  });
  const channel = await new Promise<ssh2.ClientChannel>((resolve, reject) => {
    client.shell({ term: 'xterm-256color', cols: 200, rows: 50 }, (error, stream) => (error ? reject(error) : resolve(stream)));
  });
  return { write: (data) => channel.write(data), onData: (listener) => channel.on('data', listener), close: () => client.end() };
}

/** Counts `char` in what comes back, and waits for the count to reach a number. */
function counter(terminal: Terminal, char: string) {
  let seen = 0;
  let waiter: { count: number; resolve: () => void } | null = null;
  const code = char.charCodeAt(0);
  terminal.onData((data) => {
    for (const byte of data) if (byte === code) seen += 1;
    if (waiter && seen >= waiter.count) {
      const { resolve } = waiter;
      waiter = null;
      resolve();
    }
  });
  return {
    get seen() { return seen; },
    until(count: number, timeoutMs = 60_000): Promise<void> {
      if (seen >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`waited for ${count} of ${char}, saw ${seen}`)), timeoutMs);
        waiter = { count, resolve: () => { clearTimeout(timer); resolve(); } };
      });
    },
  };
}

/** Lines of 100 characters the echo measurement keeps unanswered at most (2 KiB, half a pty's line buffer). */
const LINES_IN_FLIGHT = 20;

/** Round trips (ms) of single keystrokes, and characters echoed per second, on `cat` in the terminal. */
async function measure(terminal: Terminal, keystrokes: number, lines: number): Promise<{ latencies: number[]; charsPerSecond: number }> {
  const xs = counter(terminal, 'x');
  const ys = counter(terminal, 'y');
  // The shell becomes cat; the banner and prompt come and go before counting starts.
  terminal.write('exec cat\n');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const latencies: number[] = [];
  for (let i = 0; i < keystrokes; i++) {
    const before = xs.seen;
    const started = process.hrtime.bigint();
    terminal.write('x');
    await xs.until(before + 1);
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  terminal.write('\n');
  const line = 'y'.repeat(99) + '\n';
  const before = ys.seen;
  const started = process.hrtime.bigint();
  // The pty echoes each line and cat prints it again: twice the y's come back. A pty drops
  // input it has no room for (its line buffer holds 4 KiB), whoever floods it, so no more than
  // LINES_IN_FLIGHT lines are sent ahead of what has come back.
  for (let sent = 0; sent < lines; sent += 10) {
    await ys.until(before + 2 * 99 * Math.max(0, sent - LINES_IN_FLIGHT + 10), 120_000);
    terminal.write(line.repeat(Math.min(10, lines - sent)));
  }
  await ys.until(before + 2 * 99 * lines, 120_000);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  terminal.close();
  return { latencies, charsPerSecond: (99 * lines) / seconds };
}

export async function webTerminalRows(world: World, quick: boolean, rounds: number, log: (line: string) => void,
  add: (measure: string, unit: string, better: 'higher' | 'lower', jumpgate: number[], openssh: number[]) => void): Promise<void> {
  const httpPort = await freePort();
  const variant = await startGatewayVariant(world, 'webterm', (yaml) => yaml, {
    http: `127.0.0.1:${httpPort}`,
    prepare: (dataDir) => execFileSync(process.execPath, [path.join(repoRoot, 'bin/jumpgate'), 'user', 'passwd', 'alice', '--stdin', '--data', dataDir], { input: PASSWORD, stdio: ['pipe', 'pipe', 'pipe'] }),
  });
  const base = `http://127.0.0.1:${httpPort}`;
  const key = readKey(world.key);
  const keystrokes = quick ? 100 : 500;
  const lines = quick ? 1000 : 5000;
  const web = { latency: [] as number[], rate: [] as number[] };
  const ssh = { latency: [] as number[], rate: [] as number[] };
  try {
    for (let i = 0; i < rounds; i++) {
      log(`web terminal against ssh (proxied session): ${keystrokes} keystrokes, ${lines} lines, round ${i + 1}/${rounds}`);
      const overWeb = await measure(await webTerminal(base, 'target'), keystrokes, lines);
      const overSsh = await measure(await sshTerminal(variant.port, 'alice+target', key), keystrokes, lines);
      web.latency.push(...overWeb.latencies);
      ssh.latency.push(...overSsh.latencies);
      web.rate.push(overWeb.charsPerSecond);
      ssh.rate.push(overSsh.charsPerSecond);
    }
  } finally {
    await variant.stop();
  }
  add('keystroke round trip: web terminal (left) vs ssh proxied session (right)', 'ms', 'lower', web.latency, ssh.latency);
  add('characters echoed: web terminal (left) vs ssh proxied session (right)', 'chars/s', 'higher', web.rate, ssh.rate);
}
