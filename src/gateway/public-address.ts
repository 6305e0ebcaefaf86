/**
 * The address people use to reach the gateway, for what jumpgate prints them (`ssh-config`,
 * the how-to-connect help): `ssh.publicAddress` when set (behind NAT or a load balancer the
 * listener's own address is of no use to them), else the address the gateway listens on.
 * A wildcard listener (`0.0.0.0`, `::`) names no host: this host's name stands for it.
 *
 * `serve` writes the addresses it actually listens on to DATA/listening (removed when it
 * stops), so that commands run beside it name those, not the settings' default, when
 * `--listen` overrode it.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

export const LISTENING_FILE = 'listening';

export interface GateAddress { host: string; port: number }

const HOST_PORT = /^\[?([^\]]*?)\]?:(\d+)$/;

export function gateAddress(publicAddress: string | null, listened: string): GateAddress {
  const match = HOST_PORT.exec(publicAddress ?? listened);
  if (!match) throw new Error(`not HOST:PORT: ${publicAddress ?? listened}`);
  const host = match[1];
  const wildcard = publicAddress === null && (host === '0.0.0.0' || host === '::' || host === '');
  return { host: wildcard ? hostname() : host, port: Number(match[2]) };
}

/** `host:port`, with an IPv6 address in brackets, as `ProxyJump` and `ssh -J` take it. */
export function gateText({ host, port }: GateAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Written by `serve` once its SSH listeners are up: one `HOST:PORT` per line. */
export function writeListening(dataDir: string, addresses: readonly string[]): void {
  writeFileSync(path.join(dataDir, LISTENING_FILE), addresses.map((a) => `${a}\n`).join(''), { mode: 0o600 });
}

/** Best effort: a file left behind only names where the gateway last listened. */
export function removeListening(dataDir: string): void {
  try {
    rmSync(path.join(dataDir, LISTENING_FILE), { force: true });
  } catch {
    // The data dir went read-only or away; nothing to undo.
  }
}

/** The first address a running (or the last) `serve` listened on, or null. */
export function readListening(dataDir: string): string | null {
  try {
    const first = readFileSync(path.join(dataDir, LISTENING_FILE), 'utf8').split('\n')[0]?.trim() ?? '';
    return HOST_PORT.test(first) ? first : null;
  } catch {
    return null;
  }
}
