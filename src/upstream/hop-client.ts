/**
 * An SSH connection the gateway makes to a hop (or a target) with that target's `login`
 * and `credential`, over any stream: a TCP socket for the first hop, a `direct-tcpip`
 * channel of the previous hop for the next (ssh2: `forwardOut`, then `connect({ sock })`).
 */
import type { Duplex } from 'node:stream';
import ssh2, { type AgentAuthMethod, type BaseAgent, type Client, type ConnectConfig, type PublicKeyAuthMethod } from 'ssh2';
import type { Target } from '../domain/resources.js';
import { certificateLoginKey, type LoginCredential } from './login-credential.js';
import { fingerprint } from '../domain/ssh-public-key.js';
import type { Ssh2Algorithms } from '../gateway/algorithms.js';
import { formatDuration } from '../config/duration.js';
import type { HostKeyVerdict } from './host-key-check.js';

export interface PresentedKey { fingerprint: string; type: string }

export interface HopLogin {
  target: Target;
  credential: LoginCredential | null;
  timeoutMs: number;
  /** `ssh.algorithms`: the gateway's own connections offer what its server side offers. */
  algorithms: Ssh2Algorithms;
  keepalive: Keepalive;
  /** The person's agent, relayed into the target's sessions (`agentForwarding: true`). */
  relayAgent?: BaseAgent;
  /** Decides whether the presented host key is acceptable (pinned or TOFU). */
  verifyHostKey(presented: PresentedKey): Promise<HostKeyVerdict>;
}

/**
 * `ssh.keepaliveInterval`, and how many unanswered keepalives end the connection (as
 * OpenSSH's ServerAliveInterval and ServerAliveCountMax): a hop that died without a FIN,
 * or behind a cut link, is noticed within interval × (countMax + 1).
 */
export interface Keepalive { intervalMs: number; countMax: number }

/** Unanswered keepalives before a connection is given up: OpenSSH's ServerAliveCountMax default. */
export const KEEPALIVE_COUNT_MAX = 3;

export class HopError extends Error {
  constructor(readonly why: string, readonly mismatch?: { expected: string; presented: string }) {
    super(why);
  }
}

function keyType(blob: Buffer): string {
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('latin1');
}

/**
 * Without a credential the handshake alone is made: the host key is verified (and learnt)
 * and `authenticated` is false, which is all `target test` needs of a ProxyJump-only target.
 */
export function connectHop(sock: Duplex, login: HopLogin): Promise<{ client: Client; hostKey: PresentedKey; authenticated: boolean }> {
  const { target, credential } = login;
  if (credential && !target.login) {
    // Never a default user such as root: the operator says whom the gateway logs in as.
    sock.destroy();
    return Promise.reject(new HopError(`${target.name} has a credential but no login (set login on the target)`));
  }
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let presented: PresentedKey | null = null;
    let mismatch: { expected: string; presented: string } | undefined;
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      client.end();
      sock.destroy();
      reject(new HopError(why, mismatch));
    };
    client.once('ready', () => {
      settled = true;
      resolve({ client, hostKey: presented!, authenticated: true });
    });
    if (!credential) {
      client.once('handshake', () => {
        settled = true;
        resolve({ client, hostKey: presented!, authenticated: false });
      });
    }
    client.on('error', (error: Error & { level?: string }) => {
      if (mismatch) return fail(`host key mismatch: expected ${mismatch.expected}, presented ${mismatch.presented} (if the change is expected: jumpgate target trust ${target.name})`);
      if (error.level === 'client-authentication') return fail(`authentication as ${target.login ?? '(no login)'} failed`);
      if (error.level === 'client-timeout') return fail(`SSH handshake timed out after ${formatDuration(login.timeoutMs)}`);
      fail(`SSH handshake failed: ${error.message}`);
    });
    client.on('close', () => fail('connection closed during the SSH handshake'));
    client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) => {
      finish(prompts.map(() => (credential?.type === 'password' ? credential.secret.reveal() : '')));
    });

    const config: ConnectConfig = {
      sock: sock,
      // Without a credential only the handshake is made; no login is ever attempted.
      username: target.login ?? '',
      readyTimeout: login.timeoutMs,
      keepaliveInterval: login.keepalive.intervalMs,
      keepaliveCountMax: login.keepalive.countMax,
      tryKeyboard: credential?.type === 'password',
      algorithms: {
        kex: [...login.algorithms.kex], cipher: [...login.algorithms.cipher], hmac: [...login.algorithms.hmac], serverHostKey: [...login.algorithms.serverHostKey],
      } as ConnectConfig['algorithms'],
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        const offered = { fingerprint: fingerprint(key), type: keyType(key) };
        // A re-key (OpenSSH starts one every GiB with chacha20) shows the key again: answer
        // at once, because ssh2 lets channel messages out while an answer is pending, and a
        // message in the middle of a strict key exchange makes the peer drop the connection.
        if (presented) return verify(offered.fingerprint === presented.fingerprint);
        login.verifyHostKey(offered).then((verdict) => {
          if (verdict.ok) presented = offered;
          else mismatch = { expected: verdict.expected, presented: verdict.presented };
          verify(verdict.ok);
        }, () => verify(false));
      },
    };
    if (credential?.type === 'privateKey') {
      config.privateKey = credential.secret.reveal();
      if (credential.passphrase) config.passphrase = credential.passphrase.reveal();
    } else if (credential?.type === 'password') {
      config.password = credential.secret.reveal();
    } else if (credential?.type === 'certificate') {
      const method: PublicKeyAuthMethod = { type: 'publickey', username: target.login ?? '', key: certificateLoginKey(credential.key, credential.certificate) };
      config.authHandler = [method];
    } else if (credential?.type === 'agent') {
      config.agent = credential.agent;
      const method: AgentAuthMethod = { type: 'agent', username: target.login ?? '', agent: credential.agent };
      config.authHandler = [method];
    }
    if (login.relayAgent) {
      // ssh2 then asks for agent forwarding on every session channel and answers the
      // target's agent channels from this agent: only where the rule relays it.
      config.agent = login.relayAgent;
      config.agentForward = true;
    }
    try {
      client.connect(config);
    } catch (error) {
      fail(`cannot start the SSH handshake: ${(error as Error).message}`);
    }
  });
}

/** The hop connection itself is gone (not the step behind it): the failure is the hop's. */
export class HopLost extends Error {}

/** Opens a `direct-tcpip` channel through a connected hop, bounded by a timeout. */
export function forwardThrough(client: Client, host: string, port: number, timeoutMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new Error(`timed out after ${formatDuration(timeoutMs)}`));
    }, timeoutMs);
    try {
      client.forwardOut('127.0.0.1', 0, host, port, (error, stream) => {
        clearTimeout(timer);
        if (done) { stream?.destroy(); return; }
        done = true;
        if (error) reject(new Error(channelFailureWhy(error)));
        else resolve(stream);
      });
    } catch (error) {
      clearTimeout(timer);
      reject(new HopLost(`hop connection lost (${(error as Error).message})`));
    }
  });
}

/** `(SSH) Channel open failure: Connection refused` -> `connection refused`. */
function channelFailureWhy(error: Error): string {
  const text = error.message.replace(/^\(SSH\) Channel open failure:\s*/i, '').trim();
  return text ? text.charAt(0).toLowerCase() + text.slice(1) : 'channel open failed';
}
