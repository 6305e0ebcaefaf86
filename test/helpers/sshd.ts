import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeKeyPair } from './keys.js';
import { sshdBin } from './paths.js';
import { freePort, waitForPort } from './ports.js';
import { spawnTracked, type TrackedProcess } from './processes.js';
import { makeTempDir } from './tmp.js';

export interface SshdOptions {
  /** A 127.0.0.0/8 address to listen on; default 127.0.0.1. */
  host?: string;
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
  /** `SHA256:...` of the server's ed25519 host key. */
  hostKeyFingerprint: string;
  /** The host key's public line (`ssh-ed25519 AAAA... comment`), for known_hosts files. */
  hostPublicKey: string;
  process: TrackedProcess;
  /** sshd's own log (LogLevel ERROR, so normally empty). */
  stderrText(): string;
  stop(): Promise<void>;
}

/** The user every test logs in as on its targets (root in CI containers). */
export const osLogin = os.userInfo().username;

/**
 * Starts a real OpenSSH server in the foreground as a target: its own host key,
 * its own authorized_keys, no PAM, no passwords. Running as root or not, the
 * login user is the OS user running the tests.
 */
export async function startSshd(options: SshdOptions): Promise<Sshd> {
  const host = options.host ?? '127.0.0.1';
  const dir = makeTempDir('sshd');
  const hostKey = await makeKeyPair(dir, 'ssh_host_ed25519_key', 'target-host-key');
  const authorizedKeysFile = path.join(dir, 'authorized_keys');
  fs.writeFileSync(authorizedKeysFile, options.authorizedKeys.map((k) => `${k.trim()}\n`).join(''), { mode: 0o600 });

  if (process.getuid?.() === 0) {
    // sshd refuses to start as root without its privilege separation directory.
    fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  }

  const port = await freePort(host);
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
    'LogLevel ERROR',
    ...(options.extraConfig ?? []),
  ];
  const configFile = path.join(dir, 'sshd_config');
  fs.writeFileSync(configFile, `${config.join('\n')}\n`, { mode: 0o600 });

  const proc = spawnTracked(sshdBin, ['-D', '-e', '-f', configFile]);
  try {
    await waitForPort(host, port, 10_000, () => proc.isAlive());
  } catch (e) {
    await proc.kill();
    throw new Error(`sshd did not start on ${host}:${port}: ${(e as Error).message}\nsshd stderr:\n${proc.stderr()}`);
  }

  return {
    host,
    port,
    login: osLogin,
    hostKeyFingerprint: hostKey.fingerprint,
    hostPublicKey: hostKey.publicKey,
    process: proc,
    stderrText: () => proc.stderr(),
    stop: async () => {
      await proc.kill();
    },
  };
}
