import fs from 'node:fs';
import path from 'node:path';
import { waitForPort } from './ports.js';
import { run, spawnTracked, type RunResult, type SpawnTrackedOptions, type TrackedProcess } from './processes.js';

/** OpenSSH LogLevel values a test may ask for. */
export type SshLogLevel = 'QUIET' | 'FATAL' | 'ERROR' | 'INFO' | 'VERBOSE' | 'DEBUG';

/**
 * Command-line options that make a stock ssh quiet and deterministic: no user
 * or system config, no agent keys, no prompts, no known_hosts file.
 */
export function quietSshOptions(keyPath: string, logLevel: SshLogLevel = 'ERROR'): string[] {
  return [
    '-F', '/dev/null',
    '-o', 'BatchMode=yes',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'IdentityAgent=none',
    '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=no',
    '-o', `LogLevel=${logLevel}`,
    '-o', 'ConnectTimeout=10',
    '-i', keyPath,
  ];
}

export interface SshClientOptions {
  /** Where the ssh_config file is written. */
  dir: string;
  /** The user's name on the gateway. */
  gateUser: string;
  gateHost?: string;
  gatePort: number;
  /** The key the user authenticates to the gateway with. */
  gateKey: string;
  /** The key used for the hop after the gateway (ProxyJump targets); default gateKey. */
  targetKey?: string;
  /**
   * LogLevel for the gateway hop. OpenSSH prints a refused channel open
   * ("channel 0: open failed: administratively prohibited: ...") at INFO,
   * which is what a user sees by default; ERROR hides it. Default INFO.
   */
  gateLogLevel?: SshLogLevel;
  /** LogLevel for every other host; default ERROR. */
  logLevel?: SshLogLevel;
  /** More ssh_config lines for the gateway's Host block (`Compression yes`). */
  gateConfig?: string[];
}

export interface SshClient {
  /** The ssh_config file; `gate` is the gateway's Host alias in it. */
  configFile: string;
  /** Runs `ssh -F configFile ...args` to completion (default limit 30 s). */
  run(args: readonly string[], options?: SpawnTrackedOptions): Promise<RunResult>;
  /** Starts `ssh -F configFile ...args` in the background; kill it when done. */
  spawn(args: readonly string[], options?: SpawnTrackedOptions): TrackedProcess;
}

let configCounter = 0;

/**
 * A user's ssh set-up as they would write it: an ssh_config with a Host block
 * for the gateway (alias `gate`) and defaults for everything behind it, so
 * `ssh -J gate root@db1` and `ssh -L ... gate` work. `ssh -J` passes `-F` on
 * to the ssh it runs for the jump, but not `-i` or `-o`, which is why the
 * settings live in the file.
 */
export function makeSshClient(options: SshClientOptions): SshClient {
  configCounter += 1;
  const configFile = path.join(options.dir, `ssh_config.${options.gateUser}.${configCounter}`);
  const common = (key: string, logLevel: SshLogLevel): string[] => [
    `  IdentityFile ${key}`,
    '  IdentitiesOnly yes',
    '  IdentityAgent none',
    '  UserKnownHostsFile /dev/null',
    '  StrictHostKeyChecking no',
    '  BatchMode yes',
    '  ConnectTimeout 10',
    '  ServerAliveInterval 5',
    '  ServerAliveCountMax 3',
    `  LogLevel ${logLevel}`,
  ];
  const lines = [
    'Host gate',
    `  HostName ${options.gateHost ?? '127.0.0.1'}`,
    `  Port ${options.gatePort}`,
    `  User ${options.gateUser}`,
    ...(options.gateConfig ?? []).map((line) => `  ${line}`),
    ...common(options.gateKey, options.gateLogLevel ?? 'INFO'),
    '',
    'Host *',
    ...common(options.targetKey ?? options.gateKey, options.logLevel ?? 'ERROR'),
    '',
  ];
  fs.writeFileSync(configFile, lines.join('\n'), { mode: 0o600 });
  return {
    configFile,
    run: (args, runOptions) => run('ssh', ['-F', configFile, ...args], runOptions),
    spawn: (args, spawnOptions) => spawnTracked('ssh', ['-F', configFile, ...args], spawnOptions),
  };
}

/**
 * Resolves once an `ssh -L 127.0.0.1:PORT:...` listens on its local port;
 * fails with ssh's stderr when ssh exits first or the time runs out.
 */
export async function waitForLocalForward(ssh: TrackedProcess, localPort: number, timeoutMs: number): Promise<void> {
  await waitForPort('127.0.0.1', localPort, timeoutMs, () => ssh.isAlive()).catch((e: Error) => {
    throw new Error(`${e.message}\nssh stderr:\n${ssh.stderr()}`);
  });
}

/** Runs the stock ssh with quietSshOptions(key) followed by args. */
export function runSsh(keyPath: string, args: readonly string[], options?: SpawnTrackedOptions): Promise<RunResult> {
  return run('ssh', [...quietSshOptions(keyPath), ...args], options);
}

/** Both output streams, for assertions that should not care where a message went. */
export function allOutput(r: RunResult): string {
  return `${r.stdout}\n${r.stderr}`;
}

/** A one-line description of a run for assertion messages. */
export function describeRun(r: RunResult): string {
  return `exit ${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}
