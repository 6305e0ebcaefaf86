import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeKeyPair, type KeyPair } from './keys.js';
import type { Namespace } from './netns.js';
import { sshdBin } from './paths.js';
import { freePort } from './ports.js';
import { killProcessTree, spawnTracked, type TrackedProcess } from './processes.js';
import { makeTempDir } from './tmp.js';

export interface SshdOptions {
  /** The address to listen on: a 127.0.0.0/8 address, or an address of `netns`. Default 127.0.0.1. */
  host?: string;
  /** Default: a free port on host, or 22 inside a namespace. A fixed port lets a test restart a server in place. */
  port?: number;
  /** Run inside this network namespace. */
  netns?: Namespace;
  /** Default: a fresh ed25519 host key. Pass the old one to bring a server back unchanged. */
  hostKey?: KeyPair;
  /** authorized_keys lines accepted for the login user. */
  authorizedKeys: string[];
  /** Further sshd_config lines, appended after the defaults. */
  extraConfig?: string[];
}

export interface Sshd {
  host: string;
  port: number;
  /** The login that works on this sshd: the OS user running the tests. */
  login: string;
  hostKey: KeyPair;
  /** `SHA256:...` of the server's ed25519 host key. */
  hostKeyFingerprint: string;
  /** The host key's public line (`ssh-ed25519 AAAA... comment`), for known_hosts files. */
  hostPublicKey: string;
  process: TrackedProcess;
  /** sshd's own log (LogLevel INFO). */
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

/** The user every test logs in as on its targets (root in CI containers). */
export const osLogin = os.userInfo().username;

const liveSshds = new Set<Sshd>();

/**
 * Starts a real OpenSSH server in the foreground (`sshd -D -e`, inside `netns`
 * when given) as a target or a jump host: its own host key, its own
 * authorized_keys, no PAM, no passwords, TCP forwarding on. Running as root or
 * not, the login user is the OS user running the tests. Resolves once sshd logs
 * "Server listening on HOST port PORT.", which also works inside a namespace
 * that the test process cannot connect into.
 */
export async function startSshd(options: SshdOptions): Promise<Sshd> {
  const host = options.host ?? '127.0.0.1';
  const dir = makeTempDir('sshd');
  const hostKey = options.hostKey ?? (await makeKeyPair(dir, 'ssh_host_ed25519_key', 'host-key'));
  const port = options.port ?? (options.netns ? 22 : await freePort(host));
  const authorizedKeysFile = path.join(dir, 'authorized_keys');
  fs.writeFileSync(authorizedKeysFile, options.authorizedKeys.map((k) => `${k.trim()}\n`).join(''), { mode: 0o600 });

  if (process.getuid?.() === 0) {
    // sshd refuses to start as root without its privilege separation directory.
    fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  }

  const config = [
    `ListenAddress ${host}:${port}`,
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
    // Tests open many connections at once; the default 10:30:100 drops some.
    'MaxStartups 1000',
    'MaxSessions 100',
    'Subsystem sftp internal-sftp',
    // INFO, for the "Server listening" line that says the port is open.
    'LogLevel INFO',
    ...(options.extraConfig ?? []),
  ];
  const configFile = path.join(dir, 'sshd_config');
  fs.writeFileSync(configFile, `${config.join('\n')}\n`, { mode: 0o600 });

  const args = ['-D', '-e', '-f', configFile];
  const proc = options.netns ? options.netns.spawn(sshdBin, args) : spawnTracked(sshdBin, args);
  const ready = `Server listening on ${host} port ${port}.`;
  const deadline = Date.now() + 10_000;
  while (!proc.stderr().includes(ready)) {
    if (!proc.isAlive() || Date.now() > deadline) {
      await proc.kill();
      throw new Error(`sshd did not listen on ${host}:${port}${options.netns ? ` in ${options.netns.name}` : ''}\nsshd stderr:\n${proc.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }

  const crash = async (): Promise<void> => {
    liveSshds.delete(sshd);
    await killProcessTree(proc);
  };
  const sshd: Sshd = {
    host,
    port,
    login: osLogin,
    hostKey,
    hostKeyFingerprint: hostKey.fingerprint,
    hostPublicKey: hostKey.publicKey,
    process: proc,
    stderrText: () => proc.stderr(),
    crash,
    stop: crash,
  };
  liveSshds.add(sshd);
  return sshd;
}

/** For after(): stops every sshd startSshd() started and that is still up, with its connection processes. */
export async function stopSshds(): Promise<void> {
  await Promise.all([...liveSshds].map((s) => s.stop()));
}
