/**
 * The side that faces targets: reaching a target's address for a user's channel, trying
 * its `host` then each of its `alternateHosts` in order (SPEC §3), every failed attempt
 * reported so it can be audited even when a later address succeeds.
 */
import type { Socket } from 'node:net';
import type { Target } from '../domain/resources.js';
import { dialTcp, DialError, formatHostPort } from './dial-tcp.js';

export interface DialAttemptFailure { hop: string; address: string; why: string }

export class TargetUnreachable extends Error {
  readonly code = 'UPSTREAM_UNREACHABLE';
  constructor(readonly target: string, readonly attempts: DialAttemptFailure[]) {
    super(`${target} unreachable: ${attempts.map((a) => `${a.address} ${a.why}`).join('; ')}`);
  }
}

export interface DialOptions {
  connectTimeoutMs: number;
  onAttemptFailed?: (failure: DialAttemptFailure) => void;
}

export async function dialTarget(target: Target, port: number, options: DialOptions): Promise<Socket> {
  if (target.via) {
    const failure = { hop: target.via, address: target.via, why: 'jump chains (via) are not supported by this gateway version' };
    options.onAttemptFailed?.(failure);
    throw new TargetUnreachable(target.name, [failure]);
  }
  const attempts: DialAttemptFailure[] = [];
  for (const host of [target.host, ...target.alternateHosts]) {
    try {
      return await dialTcp(host, port, options.connectTimeoutMs);
    } catch (error) {
      const failure = error instanceof DialError
        ? { hop: target.name, address: error.address, why: error.why }
        : { hop: target.name, address: formatHostPort(host, port), why: String(error) };
      attempts.push(failure);
      options.onAttemptFailed?.(failure);
    }
  }
  throw new TargetUnreachable(target.name, attempts);
}
