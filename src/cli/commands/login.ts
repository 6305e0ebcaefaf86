/**
 * `jumpgate login --gate URL [--user U]` (SPEC §4, §12), run by a person on their laptop:
 * starts a login at the gate, shows the URL and code to approve in the browser (opened
 * when there is a graphical session and xdg-open), polls, and once approved sends a fresh
 * Ed25519 public key and writes the certificate it gets back, with the key, to
 * `~/.ssh/jumpgate` and `~/.ssh/jumpgate-cert.pub`. The private key never leaves this machine.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { isIP } from 'node:net';
import type { Command } from 'commander';
import ssh2 from 'ssh2';
import { Refused, UsageError } from '../cli-errors.js';
import { printable } from '../../log/printable.js';
import { RESOURCE_NAME } from '../../domain/resources.js';

interface Started { code: string; url: string; pollToken: string; expiresAt: string; interval: number }
interface Issued { user: string; certificate: string; serial: string; validBefore: string; principals: string[]; sshAddress: string }

/** `https://`, or `http://` to a loopback address only: a certificate must not cross a network in clear. */
export function gateUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--gate ${text} is not a URL (e.g. https://gate.example:8443)`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';
  if (url.protocol === 'http:' && !loopback) throw new UsageError(`--gate ${text}: http:// only for loopback addresses; use https://`);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--gate ${text}: must be https://HOST:PORT`);
  return new URL(url.origin);
}

async function call<T>(gate: URL, route: string, body: unknown): Promise<{ status: number; value: T }> {
  let response: Response;
  try {
    response = await fetch(new URL(`/api/v1${route}`, gate), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw new Refused(`cannot reach ${gate.origin}: ${cause}`);
  }
  const text = await response.text();
  let value: unknown = null;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Refused(`${gate.origin} answered ${response.status} without JSON: is it a jumpgate console?`);
  }
  if (response.status >= 400) {
    const message = (value as { error?: string }).error ?? `${response.status}`;
    throw new Refused(message.replace(/^jumpgate: /, ''));
  }
  return { status: response.status, value: value as T };
}

/** Opens the URL in the person's browser when there is one to open; never fails. */
function openBrowser(url: string): boolean {
  if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return false;
  const opener = (process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'xdg-open')).find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!opener) return false;
  try {
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}

function writePrivate(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  // An existing file keeps its mode through writeFileSync.
  chmodSync(file, 0o600);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function registerLogin(program: Command): void {
  program.command('login')
    .description('(on your laptop) sign in through the browser and write a short-lived SSH certificate to ~/.ssh/jumpgate')
    .requiredOption('--gate <url>', 'the gateway console, https://HOST:PORT (http:// only for loopback)')
    .option('--user <name>', 'the user to log in as (default: whoever approves in the browser)')
    .option('--no-browser', 'only print the URL; do not open a browser')
    .action(async (options: { gate: string; user?: string; browser: boolean }) => {
      const gate = gateUrl(options.gate);
      if (options.user !== undefined && !RESOURCE_NAME.test(options.user)) throw new UsageError(`--user ${options.user} is not a user name`);
      const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'jumpgate login' });
      const { value: started } = await call<Started>(gate, '/logins', options.user ? { user: options.user } : {});
      const opened = options.browser && openBrowser(started.url);
      process.stdout.write(`To log in, approve code ${printable(started.code)} in your browser${opened ? ' (opened)' : ''}:\n  ${printable(started.url)}\n`);
      process.stdout.write('Waiting for approval (the code lasts 2 minutes)…\n');
      const deadline = Date.parse(started.expiresAt) + 5_000;
      let issued: Issued | null = null;
      while (!issued) {
        if (Date.now() > deadline) throw new Refused('the code expired before it was approved; run jumpgate login again');
        await sleep(Math.max(1, started.interval) * 1000);
        const { status, value } = await call<Issued & { status: string }>(gate, '/logins/poll', { pollToken: started.pollToken, publicKey: pair.public });
        if (status === 200) issued = value;
      }
      const dir = path.join(homedir(), '.ssh');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const keyFile = path.join(dir, 'jumpgate');
      const certFile = path.join(dir, 'jumpgate-cert.pub');
      writePrivate(keyFile, pair.private);
      writePrivate(certFile, `${issued.certificate}\n`);
      const [host] = issued.sshAddress.startsWith('[') ? [issued.sshAddress.slice(1, issued.sshAddress.indexOf(']'))] : issued.sshAddress.split(':');
      const user = printable(issued.user);
      process.stdout.write([
        `Certificate for ${user} written: ${certFile} (serial ${issued.serial}, valid until ${issued.validBefore}); key: ${keyFile}`,
        'Connect with:',
        `  ssh -J ${user}@${printable(issued.sshAddress)} LOGIN@TARGET`,
        'with this in ~/.ssh/config, so the jump to the gateway uses the certificate:',
        `  Host ${printable(host)}`,
        '    IdentityFile ~/.ssh/jumpgate',
        '    CertificateFile ~/.ssh/jumpgate-cert.pub',
        '',
      ].join('\n'));
    });
}
