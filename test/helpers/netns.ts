/**
 * Linux network namespaces that a test makes, wires together and removes, so a
 * segmented network (gateway here, jump hosts there, the target behind them)
 * runs on one machine. Names start with `jgt<pid>` so parallel runs never meet,
 * and everything is removed in removeNamespaces() or, as a last resort, when
 * the test process exits.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { run, runOk, spawnTracked, type RunResult, type SpawnTrackedOptions, type TrackedProcess } from './processes.js';
import { makeTempDir } from './tmp.js';

export const namespacePrefix = `jgt${process.pid}`;

/** iproute2's `ip`, by absolute path so a PATH without the sbin folders still finds it. */
export const ipBin = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => fs.existsSync(p)) ?? 'ip';

/** A network namespace made by this test process. */
export interface Namespace {
  /** The name `ip netns` knows it by. */
  name: string;
  /** Runs a command inside the namespace to completion (default limit 30 s). */
  run(command: string, args: readonly string[], options?: SpawnTrackedOptions): Promise<RunResult>;
  /** Starts a command inside the namespace in the background; it is tracked like any child. */
  spawn(command: string, args: readonly string[], options?: SpawnTrackedOptions): TrackedProcess;
}

/** Where a link ends: a namespace of this test, or the root namespace the test runs in. */
export type LinkEnd = Namespace | 'root';

const namespaces = new Set<string>();
const rootInterfaces = new Set<string>();
/** /etc/netns/<name> directories this process wrote. */
const hostsDirs = new Set<string>();
let interfaceCounter = 0;

/**
 * The command line that runs `command` inside `ns`. `ip netns exec` execs the
 * command after entering the namespace, so the tracked pid is the command's.
 */
export function inNamespace(ns: string, command: string, args: readonly string[]): [string, string[]] {
  return [ipBin, ['netns', 'exec', ns, command, ...args]];
}

/**
 * Throws a clear error when this process cannot make network namespaces
 * (not root, no CAP_SYS_ADMIN/CAP_NET_ADMIN, no iproute2). Tests that need a
 * segmented network call this and fail, rather than skip, when it throws.
 */
export async function requireNetworkNamespaces(): Promise<void> {
  const probe = `${namespacePrefix}probe`;
  const r = await run(ipBin, ['netns', 'add', probe], { timeoutMs: 10_000 });
  if (r.code !== 0) {
    throw new Error(
      'this test builds a segmented network out of Linux network namespaces, and ' +
        `\`ip netns add ${probe}\` failed (exit ${r.code ?? r.signal}): ${r.stderr.trim() || '(no output)'}. ` +
        'Run the end-to-end tests as root (CAP_SYS_ADMIN and CAP_NET_ADMIN), for example in a privileged container, with iproute2 installed.',
    );
  }
  await run(ipBin, ['netns', 'del', probe], { timeoutMs: 10_000 });
}

/** Makes namespace `jgt<pid><label>` with its loopback up. */
export async function createNamespace(label: string): Promise<Namespace> {
  const name = `${namespacePrefix}${label}`;
  await runOk(ipBin, ['netns', 'add', name]);
  namespaces.add(name);
  await runOk(ipBin, ['-n', name, 'link', 'set', 'lo', 'up']);
  // Whether a new namespace forwards depends on net.core.devconf_inherit_init_net,
  // so say it: these are hosts, not routers. (/proc/sys/net is the writer's namespace.)
  await runOk(ipBin, ['netns', 'exec', name, 'sh', '-c', 'echo 0 > /proc/sys/net/ipv4/ip_forward']);
  return {
    name,
    run: (command, args, options) => {
      const [cmd, full] = inNamespace(name, command, args);
      return run(cmd, full, options);
    },
    spawn: (command, args, options) => {
      const [cmd, full] = inNamespace(name, command, args);
      return spawnTracked(cmd, full, options);
    },
  };
}

/**
 * Gives a namespace its own /etc/hosts: `ip netns exec` bind-mounts
 * /etc/netns/<name>/hosts over /etc/hosts for every command it runs there, so
 * names resolve differently inside (a name for a loopback or link-local
 * address, say) without touching the machine's own file.
 */
export function writeNamespaceHosts(ns: Namespace, lines: readonly string[]): void {
  const dir = path.join('/etc/netns', ns.name);
  fs.mkdirSync(dir, { recursive: true });
  hostsDirs.add(dir);
  fs.writeFileSync(path.join(dir, 'hosts'), `${lines.join('\n')}\n`);
}

function removeHostsDirs(): void {
  for (const dir of hostsDirs) {
    fs.rmSync(dir, { recursive: true, force: true });
    hostsDirs.delete(dir);
  }
  try {
    // Only when empty: other runs may have theirs there.
    fs.rmdirSync('/etc/netns');
  } catch {
    /* not empty, or never made */
  }
}

function ipArgs(end: LinkEnd, args: string[]): string[] {
  return end === 'root' ? args : ['-n', end.name, ...args];
}

/** The two interfaces of a veth link: `a` in the first namespace (or the root one), `b` in the second. */
export interface Link { a: { end: LinkEnd; name: string }; b: { end: Namespace; name: string } }

/**
 * Connects two namespaces with a veth pair and gives each end an address
 * (`10.231.0.1/30`). Only the directly connected subnet is reachable through a
 * link: nothing is routed further unless addRoute() says so.
 */
export async function linkNamespaces(a: LinkEnd, aCidr: string, b: Namespace, bCidr: string): Promise<Link> {
  interfaceCounter += 1;
  // Interface names are at most 15 bytes and must be unique per namespace;
  // the root end carries the prefix so parallel runs cannot collide there.
  const aName = a === 'root' ? `${namespacePrefix}v${interfaceCounter}` : `veth${interfaceCounter}a`;
  const bName = `veth${interfaceCounter}b`;
  if (aName.length > 15) throw new Error(`interface name ${aName} is longer than 15 bytes`);
  await runOk(ipBin, ipArgs(a, ['link', 'add', aName, 'type', 'veth', 'peer', 'name', bName, 'netns', b.name]));
  if (a === 'root') rootInterfaces.add(aName);
  await runOk(ipBin, ipArgs(a, ['addr', 'add', aCidr, 'dev', aName]));
  await runOk(ipBin, ipArgs(b, ['addr', 'add', bCidr, 'dev', bName]));
  await runOk(ipBin, ipArgs(a, ['link', 'set', aName, 'up']));
  await runOk(ipBin, ipArgs(b, ['link', 'set', bName, 'up']));
  return { a: { end: a, name: aName }, b: { end: b, name: bName } };
}

/**
 * Cuts a link silently, as an unplugged cable or a dropping firewall would: both
 * interfaces go down, so nothing crosses and neither side is told (no FIN, no
 * reset reaches the far end). `up` plugs it back in.
 */
export async function setLinkState(link: Link, state: 'up' | 'down'): Promise<void> {
  await runOk(ipBin, ipArgs(link.a.end, ['link', 'set', link.a.name, state]));
  await runOk(ipBin, ipArgs(link.b.end, ['link', 'set', link.b.name, state]));
}

/** `ip route add SUBNET via GATEWAY` inside a namespace of this test. */
export async function addRoute(ns: Namespace, subnet: string, via: string): Promise<void> {
  await runOk(ipBin, ['-n', ns.name, 'route', 'add', subnet, 'via', via]);
}

/**
 * A /30 for the link between the root namespace and a test namespace, chosen
 * from the process id inside 10.231.0.0/17 and skipping any subnet the root
 * namespace already routes, so parallel runs pick different ones.
 * Returns the root end and the namespace end, e.g. 10.231.12.4/30 -> .5 and .6.
 */
export async function pickRootLinkSubnet(): Promise<{ rootAddress: string; nsAddress: string; prefix: 30 }> {
  const routes = (await runOk(ipBin, ['-4', 'route', 'show', 'table', 'all'])).stdout;
  const slots = 128 * 64; // /30s in 10.231.0.0/17
  for (let i = 0; i < slots; i++) {
    const slot = (process.pid + i) % slots;
    const third = Math.floor(slot / 64);
    const fourth = (slot % 64) * 4;
    const net = `10.231.${third}.`;
    if (routes.includes(`${net}${fourth}/30`) || routes.includes(`${net}${fourth + 1} `) || routes.includes(`${net}${fourth + 2} `)) continue;
    return { rootAddress: `${net}${fourth + 1}`, nsAddress: `${net}${fourth + 2}`, prefix: 30 };
  }
  throw new Error('no free /30 in 10.231.0.0/17 for the root link');
}

/** 'connected', 'timeout', or the error the probe met. */
export type ProbeResult = string;

const probeScript = `
const net = require('node:net');
const [host, port, timeoutMs] = process.argv.slice(1);
const socket = net.connect({ host, port: Number(port) });
const done = (result) => { process.stdout.write(result); socket.destroy(); process.exit(0); };
socket.setTimeout(Number(timeoutMs), () => done('timeout'));
socket.once('connect', () => done('connected'));
socket.once('error', (e) => done(e.code || e.message));
`;

/**
 * Tries a TCP connection to host:port from inside `from` and says what
 * happened: `connected`, `timeout` (no answer at all), or the error code
 * (`ECONNREFUSED`, `ENETUNREACH`, ...).
 */
export async function tcpProbe(from: LinkEnd, host: string, port: number, timeoutMs = 1_000): Promise<ProbeResult> {
  const args = ['-e', probeScript, host, String(port), String(timeoutMs)];
  const r = from === 'root'
    ? await run(process.execPath, args, { timeoutMs: timeoutMs + 10_000 })
    : await from.run(process.execPath, args, { timeoutMs: timeoutMs + 10_000 });
  if (r.code !== 0) throw new Error(`TCP probe to ${host}:${port} failed to run: exit ${r.code ?? r.signal}\n${r.stderr}`);
  return r.stdout.trim();
}

const echoScript = `
const net = require('node:net');
const [host, port] = process.argv.slice(2);
const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  socket.on('error', () => {});
  socket.pipe(socket);
});
server.listen({ host, port: Number(port) }, () => process.stdout.write('listening\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

/** A TCP echo service (writes back every byte) running inside a namespace. */
export async function startEchoInNamespace(ns: Namespace, host: string, port: number): Promise<TrackedProcess> {
  const dir = makeTempDir('echo');
  const script = path.join(dir, 'echo.cjs');
  fs.writeFileSync(script, echoScript);
  const proc = ns.spawn(process.execPath, [script, host, String(port)], { keepStdinOpen: true });
  const deadline = Date.now() + 10_000;
  while (!proc.stdout().includes('listening')) {
    if (!proc.isAlive() || Date.now() > deadline) {
      await proc.kill();
      throw new Error(`echo service did not listen on ${host}:${port} in ${ns.name}\n${proc.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return proc;
}

/**
 * Removes every namespace and root-side interface this process made. Kill the
 * processes running inside first: a namespace outlives its name while a
 * process still runs in it.
 */
export async function removeNamespaces(): Promise<void> {
  const errors: string[] = [];
  for (const name of [...namespaces]) {
    const r = await run(ipBin, ['netns', 'del', name], { timeoutMs: 10_000 });
    if (r.code === 0 || !fs.existsSync(`/var/run/netns/${name}`)) namespaces.delete(name);
    else errors.push(`ip netns del ${name}: ${r.stderr.trim()}`);
  }
  for (const iface of [...rootInterfaces]) {
    // Normally gone with its peer's namespace; delete it in case it is not.
    await run(ipBin, ['link', 'del', iface], { timeoutMs: 10_000 });
    rootInterfaces.delete(iface);
  }
  removeHostsDirs();
  if (errors.length > 0) throw new Error(`could not remove namespaces:\n${errors.join('\n')}`);
}

/** Names of this process's namespaces still present (for a test to assert it cleaned up). */
export function liveNamespaces(): string[] {
  return [...namespaces];
}

/**
 * Synchronous clean-up for when the test process ends without its after()
 * hooks: kills what still runs inside each namespace (only this run's
 * processes live there), then deletes the namespaces and root-side links.
 */
function removeNamespacesNow(): void {
  for (const name of namespaces) {
    try {
      const pids = execFileSync(ipBin, ['netns', 'pids', name], { encoding: 'utf8' }).split(/\s+/).filter((p) => /^\d+$/.test(p));
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      execFileSync(ipBin, ['netns', 'del', name], { stdio: 'ignore' });
    } catch {
      /* best effort */
    }
  }
  namespaces.clear();
  for (const iface of rootInterfaces) {
    try {
      execFileSync(ipBin, ['link', 'del', iface], { stdio: 'ignore' });
    } catch {
      /* best effort */
    }
  }
  rootInterfaces.clear();
  removeHostsDirs();
}

// Last resorts: the process exits without running after() hooks, or is
// stopped by a signal (which skips 'exit' handlers). Namespaces would
// otherwise outlive the run until the machine reboots.
process.on('exit', removeNamespacesNow);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    removeNamespacesNow();
    process.kill(process.pid, sig);
  });
}
