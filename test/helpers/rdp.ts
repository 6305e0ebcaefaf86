/**
 * RDP end-to-end pieces from Debian's packages: xrdp as a target (one foreground process
 * on a port of the test's own, with a private /run so a system xrdp never interferes),
 * an Xvfb display for the FreeRDP 2 client (`xfreerdp`), and the client itself run with a
 * private HOME and a time limit.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Namespace } from './netns.js';
import { runOk, spawnTracked, type RunResult, type TrackedProcess } from './processes.js';
import { makeTempDir } from './tmp.js';

export interface Xrdp { proc: TrackedProcess; host: string; port: number; logFile: string }

/** An X display for the client (xfreerdp needs one even for +auth-only). */
export async function startXvfb(): Promise<{ display: string; proc: TrackedProcess }> {
  // -displayfd 1: Xvfb picks a free display and prints its number on stdout.
  const proc = spawnTracked('Xvfb', ['-displayfd', '1', '-screen', '0', '1024x768x24', '-nolisten', 'tcp'], { keepStdinOpen: true });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const number = /^(\d+)\s*$/m.exec(proc.stdout());
    if (number) return { display: `:${number[1]}`, proc };
    if (!proc.isAlive()) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await proc.kill();
  throw new Error(`Xvfb did not start: ${proc.stderr()}`);
}

/** xrdp on host:port (inside `netns` when given), its own certificate, log and /run. */
export async function startXrdp(host: string, port: number, netns?: Namespace): Promise<Xrdp> {
  const dir = makeTempDir('xrdp');
  await runOk('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=xrdp-test',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')]);
  const logFile = path.join(dir, 'xrdp.log');
  const ini = fs.readFileSync('/etc/xrdp/xrdp.ini', 'utf8')
    .replace(/^port=.*$/m, `port=tcp://${host}:${port}`)
    .replace(/^fork=.*$/m, 'fork=false')
    .replace(/^certificate=.*$/m, `certificate=${path.join(dir, 'cert.pem')}`)
    .replace(/^key_file=.*$/m, `key_file=${path.join(dir, 'key.pem')}`)
    .replace(/^LogFile=.*$/m, `LogFile=${logFile}`)
    .replace(/^EnableSyslog=.*$/m, 'EnableSyslog=false');
  const iniFile = path.join(dir, 'xrdp.ini');
  fs.writeFileSync(iniFile, ini);
  // A private /run: xrdp refuses to start when a system xrdp's pid file exists.
  const args = ['-m', 'sh', '-c', 'mount -t tmpfs tmpfs /run && exec xrdp -n -c "$0"', iniFile];
  const proc = netns ? netns.spawn('unshare', args, { cwd: dir }) : spawnTracked('unshare', args, { cwd: dir });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (fs.existsSync(logFile) && /listening to port|Listening on|xrdp_listen_main_loop/i.test(fs.readFileSync(logFile, 'utf8'))) return { proc, host, port, logFile };
    if (!proc.isAlive()) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await proc.kill();
  throw new Error(`xrdp did not start on ${host}:${port}: ${proc.stderr()} ${fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''}`);
}

export interface FreerdpOptions {
  display: string;
  /** Run inside this network namespace (the X socket in /tmp/.X11-unix reaches across). */
  netns?: Namespace;
  timeoutMs?: number;
}

/** Runs xfreerdp to completion with a private HOME; the gateway's debug lines show which transport ran. */
export function xfreerdp(args: readonly string[], options: FreerdpOptions): Promise<RunResult> {
  const home = makeTempDir('freerdp-home');
  const full = [...args, '/log-filters:com.freerdp.core.gateway.rdg:DEBUG'];
  const env = { ...process.env, DISPLAY: options.display, HOME: home };
  const spawnOptions = { env, timeoutMs: options.timeoutMs ?? 60_000 };
  return (options.netns ? options.netns.spawn('xfreerdp', full, spawnOptions) : spawnTracked('xfreerdp', full, spawnOptions)).exited;
}
