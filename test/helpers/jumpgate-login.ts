/**
 * `jumpgate login` as a person runs it on a laptop, and the stock `ssh -J` they use with
 * the certificate it writes: for the single sign-on and browser-approval tests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { jumpgateBin, repoRoot } from './paths.js';
import { run, spawnTracked, type RunResult, type TrackedProcess } from './processes.js';

/** Waits until the process's stdout matches; throws with both outputs if it ends or times out first. */
export async function waitForOutput(proc: TrackedProcess, pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = pattern.exec(proc.stdout());
    if (found) return found;
    if (!proc.isAlive() || Date.now() > deadline) {
      throw new Error(`no ${pattern} in the output\nstdout:\n${proc.stdout()}\nstderr:\n${proc.stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `jumpgate login --gate GATE --no-browser ARGS` with `home` as the person's home. */
export function startJumpgateLogin(gate: string, home: string, args: readonly string[] = []): TrackedProcess {
  return spawnTracked(process.execPath, [jumpgateBin, 'login', '--gate', gate, '--no-browser', ...args], {
    cwd: repoRoot, env: { ...process.env, HOME: home, DISPLAY: '' }, timeoutMs: 60_000,
  });
}

export interface CertificateHop {
  /** The home `jumpgate login` wrote ~/.ssh/jumpgate and its certificate into. */
  home: string;
  user: string;
  gatePort: number;
  /** The target (host alias db1 on loopback), with the test's own key for it. */
  target: { login: string; keyPath: string };
}

/**
 * `ssh -J USER@gate db1 'echo reached-$((40 + 2))'` with the ssh_config a person writes after
 * `jumpgate login` (what it prints), plus the test's own key for the target.
 */
export function sshWithCertificate(hop: CertificateHop): Promise<RunResult> {
  const config = path.join(hop.home, 'ssh_config');
  const quiet = ['  IdentitiesOnly yes', '  IdentityAgent none', '  UserKnownHostsFile /dev/null', '  StrictHostKeyChecking no', '  BatchMode yes', '  LogLevel ERROR', '  ConnectTimeout 20'];
  fs.writeFileSync(config, [
    'Host 127.0.0.1',
    `  IdentityFile ${hop.home}/.ssh/jumpgate`,
    `  CertificateFile ${hop.home}/.ssh/jumpgate-cert.pub`,
    ...quiet,
    'Host db1',
    `  IdentityFile ${hop.target.keyPath}`,
    ...quiet,
    '',
  ].join('\n'));
  return run('ssh', ['-F', config, '-J', `${hop.user}@127.0.0.1:${hop.gatePort}`, `${hop.target.login}@db1`, 'echo reached-$((40 + 2))'], { timeoutMs: 30_000 });
}
