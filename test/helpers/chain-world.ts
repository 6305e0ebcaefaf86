/**
 * Pieces for jump-chain tests: OpenSSH servers that can be crashed and
 * restarted on the same port with a chosen host key, a gateway that runs inside
 * a network namespace, and ChainWorld, a segmented network in which only a
 * chain of two jump hosts leads from the gateway to the target.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AuditEvent, Gateway } from './gateway.js';
import { makeKeyPair, type KeyPair } from './keys.js';
import { createNamespace, linkNamespaces, pickRootLinkSubnet, startEchoInNamespace, type Namespace } from './netns.js';
import { jumpgateBin, repoRoot, sshdBin } from './paths.js';
import { freePort } from './ports.js';
import { spawnTracked, type RunResult, type TrackedProcess } from './processes.js';
import { makeSshClient, type SshClient } from './ssh-client.js';
import { osLogin } from './sshd.js';
import { makeTempDir } from './tmp.js';

// ---------------------------------------------------------------------------
// Process trees

/** Every descendant of `pid` (children, grandchildren, ...), read from /proc. */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function killPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

async function waitUntilGone(pids: number[], timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some((pid) => fs.existsSync(`/proc/${pid}`)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ---------------------------------------------------------------------------
// OpenSSH servers

export interface OpenSshd {
  host: string;
  port: number;
  /** The login that works on it: the OS user running the tests. */
  login: string;
  hostKey: KeyPair;
  /** `SHA256:...` of its ed25519 host key. */
  hostKeyFingerprint: string;
  process: TrackedProcess;
  stderrText(): string;
  /**
   * Kills the server like a crash or power loss: the listener and every
   * per-connection process at once (sshd starts each connection in its own
   * session, so a process-group signal would leave them running).
   */
  crash(): Promise<void>;
  /** Same as crash(): a test sshd has nothing to shut down gracefully. */
  stop(): Promise<void>;
}

export interface OpenSshdOptions {
  /** The address to listen on (loopback, or an address of `netns`). */
  host: string;
  /** Default: a free port on host, or 22 inside a namespace. */
  port?: number;
  /** Run inside this namespace. */
  netns?: Namespace;
  /** Default: a fresh ed25519 host key. */
  hostKey?: KeyPair;
  authorizedKeys: string[];
}

const liveSshds = new Set<OpenSshd>();

/** A fresh ed25519 key pair in its own temp dir (host keys, client keys). */
export async function newKeyPair(name: string, comment = name): Promise<KeyPair> {
  return makeKeyPair(makeTempDir('key'), name, comment);
}

/**
 * Starts OpenSSH `sshd -D -e` (inside `netns` when given) and waits for its
 * "Server listening on HOST port PORT." line. AllowTcpForwarding is on, so it
 * can serve as a jump host.
 */
export async function startOpenSshd(options: OpenSshdOptions): Promise<OpenSshd> {
  const dir = makeTempDir('sshd');
  const hostKey = options.hostKey ?? (await makeKeyPair(dir, 'ssh_host_ed25519_key', 'host-key'));
  const port = options.port ?? (options.netns ? 22 : await freePort(options.host));
  const authorizedKeysFile = path.join(dir, 'authorized_keys');
  fs.writeFileSync(authorizedKeysFile, options.authorizedKeys.map((k) => `${k.trim()}\n`).join(''), { mode: 0o600 });
  if (process.getuid?.() === 0) fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const config = [
    `ListenAddress ${options.host}:${port}`,
    `HostKey ${hostKey.privateKeyPath}`,
    `AuthorizedKeysFile ${authorizedKeysFile}`,
    'PidFile none',
    'UsePAM no',
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'AllowTcpForwarding yes',
    'MaxStartups 1000',
    'MaxSessions 100',
    'Subsystem sftp internal-sftp',
    // INFO, for the "Server listening" line that says the port is open.
    'LogLevel INFO',
  ];
  const configFile = path.join(dir, 'sshd_config');
  fs.writeFileSync(configFile, `${config.join('\n')}\n`, { mode: 0o600 });

  const args = ['-D', '-e', '-f', configFile];
  const proc = options.netns ? options.netns.spawn(sshdBin, args) : spawnTracked(sshdBin, args);
  const ready = `Server listening on ${options.host} port ${port}.`;
  const deadline = Date.now() + 10_000;
  while (!proc.stderr().includes(ready)) {
    if (!proc.isAlive() || Date.now() > deadline) {
      await proc.kill();
      throw new Error(`sshd did not listen on ${options.host}:${port}${options.netns ? ` in ${options.netns.name}` : ''}\nsshd stderr:\n${proc.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }

  const crash = async (): Promise<void> => {
    liveSshds.delete(sshd);
    if (!proc.isAlive()) return;
    // Freeze the listener so it forks nothing new while its tree is read.
    try {
      process.kill(proc.pid, 'SIGSTOP');
    } catch {
      /* already gone */
    }
    const tree = [...descendantsOf(proc.pid), proc.pid];
    killPids(tree);
    // 'exited' also waits for stderr, which the per-connection processes shared.
    await proc.exited;
    await waitUntilGone(tree);
  };
  const sshd: OpenSshd = {
    host: options.host,
    port,
    login: osLogin,
    hostKey,
    hostKeyFingerprint: hostKey.fingerprint,
    process: proc,
    stderrText: () => proc.stderr(),
    crash,
    stop: crash,
  };
  liveSshds.add(sshd);
  return sshd;
}

/** For after(): stops every sshd startOpenSshd() started, with its connection processes. */
export async function stopOpenSshds(): Promise<void> {
  await Promise.all([...liveSshds].map((s) => s.stop()));
}

// ---------------------------------------------------------------------------
// A gateway inside a namespace

function cliEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.JUMPGATE_DATA;
  return env;
}

/**
 * `ip netns exec NS node bin/jumpgate serve --data DIR --listen HOST:PORT`,
 * waiting for its "listening on HOST:PORT" line. Its `jumpgate()` runs CLI
 * commands inside the same namespace, so `target test` dials from where the
 * gateway dials. With `settingsYaml`, that is the data dir's jumpgate.yaml.
 */
export async function startGatewayInNamespace(ns: Namespace, host: string, port = 2222, settingsYaml?: string): Promise<Gateway> {
  const workDir = makeTempDir('gateway');
  const dataDir = path.join(workDir, 'data');
  const listen = `${host}:${port}`;
  if (settingsYaml !== undefined) {
    // init makes the host keys, vault key and store; the settings file is then
    // replaced (keys left out keep their defaults, SPEC §5).
    const init = await ns.run(process.execPath, [jumpgateBin, 'init', '--data', dataDir], { cwd: repoRoot, env: cliEnv() });
    if (init.code !== 0) throw new Error(`jumpgate init exited ${init.code ?? init.signal}\n${init.stderr}`);
    fs.writeFileSync(path.join(dataDir, 'jumpgate.yaml'), settingsYaml, { mode: 0o600 });
  }
  const proc = ns.spawn(process.execPath, [jumpgateBin, 'serve', '--data', dataDir, '--listen', listen], {
    cwd: repoRoot,
    env: cliEnv(),
    keepStdinOpen: true,
  });
  const deadline = Date.now() + 20_000;
  while (!proc.stderr().includes(`listening on ${listen}`)) {
    if (!proc.isAlive() || Date.now() > deadline) {
      await proc.kill();
      throw new Error(`jumpgate serve in ${ns.name} did not log "listening on ${listen}"\nstderr:\n${proc.stderr()}\nstdout:\n${proc.stdout()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  let fileCounter = 0;
  let stopped: Promise<void> | undefined;
  const auditLogPath = (): string => path.join(dataDir, 'audit.log');
  const auditEvents = (): AuditEvent[] => {
    let text: string;
    try {
      text = fs.readFileSync(auditLogPath(), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as AuditEvent);
  };
  const gateway: Gateway = {
    dataDir,
    host,
    port,
    workDir,
    stderrText: () => proc.stderr(),
    isAlive: () => proc.isAlive(),
    stop: () => {
      stopped ??= (async () => {
        if (!proc.isAlive()) {
          const r = await proc.exited;
          throw new Error(`jumpgate serve had already exited (${r.code ?? r.signal})\nstderr:\n${r.stderr}`);
        }
        proc.signal('SIGTERM');
        const hardKill = setTimeout(() => void proc.kill(0), 15_000);
        const r = await proc.exited;
        clearTimeout(hardKill);
        if (r.code !== 0) throw new Error(`jumpgate serve exited ${r.code ?? r.signal} after SIGTERM (expected 0)\nstderr:\n${r.stderr}`);
      })();
      return stopped;
    },
    jumpgate: (args, options = {}): Promise<RunResult> =>
      ns.run(process.execPath, [jumpgateBin, ...args, '--data', dataDir], {
        cwd: repoRoot,
        env: cliEnv(),
        timeoutMs: options.timeoutMs ?? 30_000,
        ...(options.input !== undefined ? { input: options.input } : {}),
      }),
    apply: async (yamlText) => {
      fileCounter += 1;
      const file = gateway.writeFile(`resources-${fileCounter}.yaml`, yamlText);
      const r = await gateway.jumpgate(['apply', '-f', file]);
      if (r.code !== 0) throw new Error(`jumpgate apply -f ${file} exited ${r.code ?? r.signal}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\nYAML:\n${yamlText}`);
      return r;
    },
    writeFile: (name, text) => {
      const file = path.join(workDir, name);
      fs.writeFileSync(file, text, { mode: 0o600 });
      return file;
    },
    auditLogPath,
    auditEvents,
    waitForAuditEvent: async (predicate, timeoutMs = 5_000) => {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const found = auditEvents().find(predicate);
        if (found) return found;
        if (Date.now() > end) throw new Error(`no matching audit event within ${timeoutMs} ms; events: ${auditEvents().map((e) => e.type).join(', ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
  return gateway;
}

/** Runs an OpenSSH client program (ssh, scp) inside a namespace with an SshClient's config file. */
export function runClientIn(ns: Namespace, program: 'ssh' | 'scp', client: SshClient, args: readonly string[], timeoutMs = 30_000): Promise<RunResult> {
  return ns.run(program, ['-F', client.configFile, ...args], { timeoutMs });
}

// ---------------------------------------------------------------------------
// The segmented network

/**
 * Addresses inside the test's own namespaces: each /30 is one cable.
 *   gw  10.231.200.1 --- 10.231.200.2  core   (core-jump sshd)
 *   core 10.231.200.5 --- 10.231.200.6  dmz   (dmz-jump sshd)
 *   dmz 10.231.200.9 --- 10.231.200.10 target (db1 sshd, echo service)
 * No namespace routes or forwards, so each one reaches only its neighbours.
 */
export const CHAIN_ADDRESSES = {
  gwToCore: '10.231.200.1',
  coreJump: '10.231.200.2',
  coreToDmz: '10.231.200.5',
  dmzJump: '10.231.200.6',
  dmzToTarget: '10.231.200.9',
  db1: '10.231.200.10',
} as const;

export const ECHO_PORT = 7007;

export interface ChainWorld {
  gateway: Gateway;
  ns: { gw: Namespace; core: Namespace; dmz: Namespace; target: Namespace };
  /** The gateway's address on the link from the root namespace. */
  gateAddress: string;
  coreJump: OpenSshd;
  dmzJump: OpenSshd;
  db1: OpenSshd;
  login: string;
  keys: { alice: KeyPair; coreHop: KeyPair; dmzHop: KeyPair };
  /** alice's ssh set-up in the root namespace; `gate` is the gateway. */
  alice: SshClient;
  resources: string;
  /** Stops the gateway (expecting exit 0), the servers and the echo service. */
  stop(): Promise<void>;
}

/**
 * Builds the network, starts a real sshd in each of core, dmz and target, an
 * echo service next to db1, and the gateway in gw (reached from the root
 * namespace over a veth link), then applies alice, the hops with their own
 * credentials, db1 via dmz-jump via core-jump, and a role for jump and forward.
 */
export async function startChainWorld(): Promise<ChainWorld> {
  const a = CHAIN_ADDRESSES;
  const gw = await createNamespace('gw');
  const core = await createNamespace('core');
  const dmz = await createNamespace('dmz');
  const target = await createNamespace('tgt');
  const rootLink = await pickRootLinkSubnet();
  await linkNamespaces('root', `${rootLink.rootAddress}/30`, gw, `${rootLink.nsAddress}/30`);
  await linkNamespaces(gw, `${a.gwToCore}/30`, core, `${a.coreJump}/30`);
  await linkNamespaces(core, `${a.coreToDmz}/30`, dmz, `${a.dmzJump}/30`);
  await linkNamespaces(dmz, `${a.dmzToTarget}/30`, target, `${a.db1}/30`);

  // Twenty sessions of one user from one address at once exceed the default
  // per-user and per-source limits, as they would for an operator.
  const gateway = await startGatewayInNamespace(gw, rootLink.nsAddress, 2222, [
    'ssh:',
    '  maxStartups: {total: 100, perSource: 50}',
    'sessions:',
    '  maxSessionsPerUser: 50',
    '',
  ].join('\n'));
  const dir = gateway.workDir;
  const [alice, coreHop, dmzHop] = await Promise.all([
    makeKeyPair(dir, 'alice', 'alice@laptop'),
    makeKeyPair(dir, 'core_hop_key', 'jumpgate@core'),
    makeKeyPair(dir, 'dmz_hop_key', 'jumpgate@dmz'),
  ]);
  const [coreJump, dmzJump, db1] = await Promise.all([
    startOpenSshd({ netns: core, host: a.coreJump, authorizedKeys: [coreHop.publicKey] }),
    startOpenSshd({ netns: dmz, host: a.dmzJump, authorizedKeys: [dmzHop.publicKey] }),
    // ProxyJump is end to end: the target trusts alice's own key.
    startOpenSshd({ netns: target, host: a.db1, authorizedKeys: [alice.publicKey] }),
  ]);
  const echo = await startEchoInNamespace(target, a.db1, ECHO_PORT);

  const resources = `kind: User
name: alice
roles: [ops]
keys:
  - ${alice.publicKey}
---
kind: Credential
name: core-hop-key
type: privateKey
secretFile: ./core_hop_key
---
kind: Credential
name: dmz-hop-key
type: privateKey
secretFile: ./dmz_hop_key
---
kind: Target
name: core-jump
host: ${a.coreJump}
port: 22
login: ${osLogin}
credential: core-hop-key
---
kind: Target
name: dmz-jump
host: ${a.dmzJump}
port: 22
via: core-jump
login: ${osLogin}
credential: dmz-hop-key
---
kind: Target
name: db1
host: ${a.db1}
port: 22
via: dmz-jump
login: ${osLogin}
---
kind: Role
name: ops
allow:
  - targets: [db1]
    access: [jump, forward]
    ports: [22, ${ECHO_PORT}]
`;
  await gateway.apply(resources);
  const aliceClient = makeSshClient({
    dir,
    gateUser: 'alice',
    gateHost: rootLink.nsAddress,
    gatePort: gateway.port,
    gateKey: alice.privateKeyPath,
    targetKey: alice.privateKeyPath,
  });

  return {
    gateway,
    ns: { gw, core, dmz, target },
    gateAddress: rootLink.nsAddress,
    coreJump,
    dmzJump,
    db1,
    login: osLogin,
    keys: { alice, coreHop, dmzHop },
    alice: aliceClient,
    resources,
    stop: async () => {
      try {
        await gateway.stop();
      } finally {
        await Promise.all([coreJump.stop(), dmzJump.stop(), db1.stop(), echo.kill()]);
      }
    },
  };
}

/** `jumpgate sessions -o json` as records. */
export interface SessionRow {
  id: string;
  kind: string;
  user: string;
  target: string;
  destination: string;
  via: string | null;
  endedAt: string | null;
  [field: string]: unknown;
}

export async function listSessions(gateway: Gateway): Promise<SessionRow[]> {
  const r = await gateway.jumpgate(['sessions', '-o', 'json']);
  if (r.code !== 0) throw new Error(`jumpgate sessions -o json exited ${r.code ?? r.signal}\n${r.stderr}`);
  return JSON.parse(r.stdout) as SessionRow[];
}

