/**
 * The benchmark's world on loopback: an OpenSSH sshd as the target, another as the
 * reference jump host, a TCP sink, and jumpgate on a fresh data dir, all in a temp dir
 * removed at the end. Each side is reached with the same key exchange and cipher.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, mkdirSync, openSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(fileURLToPath(import.meta.url), '../../..');
const SSHD = '/usr/sbin/sshd';
/** Where the sink listens (every 127/8 address is local on Linux). */
export const SINK_HOST = '127.0.0.3';

export interface World {
  dir: string;
  login: string;
  key: string;
  target: { port: number };
  reference: { port: number; pid: number };
  gateway: { port: number; pid: number; dataDir: string; rdpPort: number };
  /** `received`: bytes the sink has read so far, on every connection. */
  sink: { host: string; port: number; server: Server; received(): number };
  /** Runs the jumpgate CLI on the gateway's data dir; its stdout. */
  jumpgate(args: string[]): string;
  /** An ssh_config with hosts `target`, `ref`, `gate` and `gate-session`, for a cipher. */
  sshConfig(cipher: string): string;
  stop(): Promise<void>;
}

const children: ChildProcess[] = [];
process.on('exit', () => { for (const child of children) child.kill('SIGKILL'); });

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => { socket.destroy(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

function startSshd(dir: string, name: string, port: number, authorizedKeys: string): ChildProcess {
  const home = path.join(dir, name);
  mkdirSync(home);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(home, 'host_key')]);
  writeFileSync(path.join(home, 'authorized_keys'), authorizedKeys, { mode: 0o600 });
  writeFileSync(path.join(home, 'sshd_config'), [
    `ListenAddress 127.0.0.1:${port}`, `HostKey ${path.join(home, 'host_key')}`, `AuthorizedKeysFile ${path.join(home, 'authorized_keys')}`,
    'PidFile none', 'UsePAM no', 'StrictModes no', 'PermitRootLogin prohibit-password', 'PasswordAuthentication no',
    'KbdInteractiveAuthentication no', 'AllowTcpForwarding yes', 'Subsystem sftp internal-sftp', 'MaxStartups 2000', 'MaxSessions 1000', 'LogLevel ERROR',
    // A plain shell keeps the login shell's start-up out of the numbers.
    'SetEnv BASH_ENV=/dev/null', 'PrintMotd no', 'PrintLastLog no',
  ].join('\n') + '\n');
  mkdirSync('/run/sshd', { recursive: true });
  const child = spawn(SSHD, ['-D', '-e', '-f', path.join(home, 'sshd_config')], { stdio: 'ignore' });
  children.push(child);
  return child;
}

/** Runs `jumpgate ARGS --data DIR` to completion. */
function jumpgateIn(dataDir: string, args: string[]): Buffer {
  return execFileSync(process.execPath, [path.join(repoRoot, 'bin/jumpgate'), ...args, '--data', dataDir], { stdio: ['pipe', 'pipe', 'pipe'] });
}

/**
 * A data dir for a gateway of the benchmark: init, the pre-auth caps lifted (the load
 * generator opens thousands of sessions from one address), `edit` applied to the settings,
 * and the world's resources applied.
 */
function prepareDataDir(worldDir: string, dataDir: string, edit: (yaml: string) => string = (yaml) => yaml): void {
  jumpgateIn(dataDir, ['init']);
  const settingsFile = path.join(dataDir, 'jumpgate.yaml');
  writeFileSync(settingsFile, edit(readFileSync(settingsFile, 'utf8')
    .replace(/maxStartups: \{total: 100, perSource: 10\}/, 'maxStartups: {total: 2000, perSource: 2000}')
    .replace(/maxConnections: 10000 /, 'maxConnections: 30000 ')
    .replace(/sessions: \{idleTimeout: 30m, maxSessionDuration: 12h, maxSessionsPerUser: 10\}/, 'sessions: {idleTimeout: 30m, maxSessionDuration: 12h, maxSessionsPerUser: 100000}')));
  jumpgateIn(dataDir, ['apply', '-f', path.join(worldDir, 'resources.yaml')]);
}

/** `jumpgate serve` on loopback; its log is kept in bench/tmp/NAME.log for when a run fails. */
function spawnGateway(dataDir: string, port: number, name: string, http = '', nodeFlags: string[] = []): ChildProcess {
  mkdirSync(path.join(repoRoot, 'bench/tmp'), { recursive: true });
  const gatewayLog = openSync(path.join(repoRoot, `bench/tmp/${name}.log`), 'w');
  // JUMPGATE_BENCH_GATEWAY_FLAGS: node options for the gateways only, for profiling
  // (`--cpu-prof --cpu-prof-dir=DIR`, `--heapsnapshot-signal=SIGUSR2`; node refuses those in NODE_OPTIONS).
  const flags = [...nodeFlags, ...(process.env.JUMPGATE_BENCH_GATEWAY_FLAGS?.split(' ').filter(Boolean) ?? [])];
  const gate = spawn(process.execPath, [...flags, path.join(repoRoot, 'bin/jumpgate'), 'serve', '--data', dataDir, '--listen', `127.0.0.1:${port}`, '--http', http],
    { stdio: ['ignore', 'ignore', gatewayLog], env: { ...process.env, JUMPGATE_LOG_LEVEL: 'warn' } });
  children.push(gate);
  return gate;
}

/**
 * Another jumpgate beside the world's, on its own data dir with the same resources, its
 * settings edited by `edit` (`ssh.workers`, `store`): for rows that compare two set-ups.
 */
export async function startGatewayVariant(world: World, name: string, edit: (yaml: string) => string, options: { http?: string; prepare?: (dataDir: string) => void; nodeFlags?: string[] } = {}): Promise<{ port: number; pid: number; dataDir: string; stop(): Promise<void> }> {
  const dataDir = path.join(world.dir, name);
  prepareDataDir(world.dir, dataDir, edit);
  options.prepare?.(dataDir);
  const port = await freePort();
  const gate = spawnGateway(dataDir, port, name, options.http, options.nodeFlags);
  await waitForPort(port, 30_000);
  return {
    port, dataDir,
    pid: gate.pid!,
    async stop() {
      if (gate.exitCode !== null) return;
      const exited = new Promise((resolve) => gate.once('exit', resolve));
      gate.kill('SIGTERM');
      await exited;
    },
  };
}

export async function startWorld(log: (line: string) => void): Promise<World> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jumpgate-bench-'));
  const login = userInfo().username;
  const key = path.join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key, '-C', 'bench']);
  const publicKey = readFileSync(`${key}.pub`, 'utf8');

  const [targetPort, referencePort, gatewayPort, rdpPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  log('starting OpenSSH target and reference jump host');
  startSshd(dir, 'target', targetPort, publicKey);
  const reference = startSshd(dir, 'reference', referencePort, publicKey);
  // The sink: a TCP service that discards what it receives (for `ssh -W`, the load generator
  // and the RDP relay), on an address of its own, so the gateway can tell a request for it
  // from one for the target.
  let sinkReceived = 0;
  const sink = createServer((socket) => { socket.on('data', (chunk: Buffer) => { sinkReceived += chunk.length; }); socket.on('error', () => {}); });
  await new Promise<void>((resolve) => sink.listen(0, SINK_HOST, () => resolve()));
  const sinkPort = (sink.address() as { port: number }).port;

  log('starting jumpgate on a fresh data dir');
  const dataDir = path.join(dir, 'gate');
  writeFileSync(path.join(dir, 'credential-key'), readFileSync(key));
  writeFileSync(path.join(dir, 'resources.yaml'), `
kind: User
name: alice
roles: [bench]
keys: ["${publicKey.trim()}"]
---
kind: Credential
name: target-key
type: privateKey
secretFile: ./credential-key
---
kind: Target
name: target
host: 127.0.0.1
port: ${targetPort}
login: ${login}
credential: target-key
---
kind: Target
name: sink
host: ${SINK_HOST}
port: ${sinkPort}
---
kind: Target
name: rdp-sink
host: ${SINK_HOST}
rdpPort: ${sinkPort}
---
kind: Role
name: bench
allow:
  - targets: [target, sink]
    access: [jump, forward, session, sftp]
    ports: [22, ${targetPort}, ${sinkPort}]
    logins: [${login}]
  - targets: [rdp-sink]
    access: [rdp]
`);
  prepareDataDir(dir, dataDir, (yaml) => yaml.replace(/^  listen: ""( +# the RD Gateway)/m, `  listen: "127.0.0.1:${rdpPort}"$1`));
  const gate = spawnGateway(dataDir, gatewayPort, 'gateway');
  await Promise.all([waitForPort(targetPort), waitForPort(referencePort), waitForPort(gatewayPort), waitForPort(rdpPort)]);

  const sshConfig = (cipher: string) => {
    const file = path.join(dir, `ssh_config.${cipher}`);
    writeFileSync(file, `
Host target
  HostName 127.0.0.1
  Port ${targetPort}
  User ${login}
Host ref
  HostName 127.0.0.1
  Port ${referencePort}
  User ${login}
Host gate
  HostName 127.0.0.1
  Port ${gatewayPort}
  User alice
Host gate-session
  HostName 127.0.0.1
  Port ${gatewayPort}
  User alice+target
Host *
  IdentityFile ${key}
  IdentitiesOnly yes
  BatchMode yes
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  LogLevel ERROR
  KexAlgorithms curve25519-sha256
  Ciphers ${cipher}
  Compression no
`);
    return file;
  };

  return {
    dir, login, key,
    target: { port: targetPort },
    reference: { port: referencePort, pid: reference.pid! },
    gateway: { port: gatewayPort, pid: gate.pid!, dataDir, rdpPort },
    sink: { host: SINK_HOST, port: sinkPort, server: sink, received: () => sinkReceived },
    jumpgate: (args) => jumpgateIn(dataDir, args).toString(),
    sshConfig,
    async stop() {
      for (const child of children.splice(0)) child.kill('SIGTERM');
      sink.close();
      await new Promise((resolve) => setTimeout(resolve, 300));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
