import fs from 'node:fs';
import path from 'node:path';
import { makeKeyPair } from './keys.js';
import { sshdBin } from './paths.js';
import { freePort } from './ports.js';
import { killProcessTree, spawnTracked, type TrackedProcess } from './processes.js';
import { osLogin } from './sshd.js';
import { makeTempDir } from './tmp.js';

/**
 * An OpenSSH target that reads the login's own `~/.ssh/authorized_keys`, as a real server
 * does, for tests that edit it (credential rotation). sshd runs in a private mount namespace
 * whose /root is a temp dir, so nothing touches the machine's own /root/.ssh; `readOnly`
 * makes that home read-only inside the namespace (writes there fail) while the test still
 * reads and edits the file from outside.
 */
export interface HomeTarget {
  host: string;
  port: number;
  login: string;
  /** The file sshd reads, as the test sees it. */
  authorizedKeysFile: string;
  authorizedKeys(): string[];
  stderrText(): string;
  process: TrackedProcess;
  stop(): Promise<void>;
}

export async function startHomeTarget(options: { authorizedKeys: string[]; readOnly?: boolean }): Promise<HomeTarget> {
  if (osLogin !== 'root') throw new Error('home targets bind-mount /root: they need the tests to run as root');
  const dir = makeTempDir('home-target');
  const home = path.join(dir, 'home');
  fs.mkdirSync(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
  fs.chmodSync(home, 0o700);
  const authorizedKeysFile = path.join(home, '.ssh', 'authorized_keys');
  fs.writeFileSync(authorizedKeysFile, options.authorizedKeys.map((k) => `${k.trim()}\n`).join(''), { mode: 0o600 });
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = await makeKeyPair(dir, 'ssh_host_ed25519_key', 'host-key');
  const host = '127.0.0.1';
  const port = await freePort(host);
  const config = [
    `ListenAddress ${host}:${port}`, `HostKey ${hostKey.privateKeyPath}`, 'PidFile none', 'UsePAM no', 'StrictModes no',
    'PermitRootLogin prohibit-password', 'PubkeyAuthentication yes', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
    'AllowTcpForwarding yes', 'MaxStartups 1000', 'LogLevel INFO',
  ];
  const configFile = path.join(dir, 'sshd_config');
  fs.writeFileSync(configFile, `${config.join('\n')}\n`, { mode: 0o600 });
  const mount = `mount --bind ${home} /root${options.readOnly ? ' && mount -o remount,bind,ro /root' : ''}`;
  const proc = spawnTracked('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `${mount} && exec ${sshdBin} -D -e -f ${configFile}`]);
  const ready = `Server listening on ${host} port ${port}.`;
  const deadline = Date.now() + 10_000;
  while (!proc.stderr().includes(ready)) {
    if (!proc.isAlive() || Date.now() > deadline) {
      await proc.kill();
      throw new Error(`sshd did not listen on ${host}:${port}\n${proc.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    host, port, login: osLogin, authorizedKeysFile, process: proc,
    authorizedKeys: () => fs.readFileSync(authorizedKeysFile, 'utf8').split('\n').filter((l) => l.trim() !== ''),
    stderrText: () => proc.stderr(),
    stop: () => killProcessTree(proc),
  };
}
