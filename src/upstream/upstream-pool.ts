/**
 * Reaching targets through chains of hops, with one SSH connection per hop shared by
 * every channel through it: opened on demand, kept while in use, closed after
 * `upstream.idleClose`. A hop connection whose transport ends (the hop died, its sshd
 * was restarted, the hop before it dropped the channel, or keepalives went unanswered)
 * is dead at once: it leaves the pool, its channels end, and the next request dials it
 * anew, so a host key accepted with `target trust` is used from the next connection on.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Client } from 'ssh2';
import type { Target } from '../domain/resources.js';
import type { Stores } from '../store/store.js';
import type { Vault } from '../vault/vault.js';
import type { Ssh2Algorithms } from '../gateway/algorithms.js';
import type { Route } from '../inventory/route.js';
import { hopChain, type HopChain } from '../inventory/hop-chain.js';
import { openCredential } from '../resources/credential-secret.js';
import type { StoredCredential } from '../domain/credential.js';
import type { TargetCa, CertificatePermission } from '../ca/target-ca.js';
import type { BaseAgent } from 'ssh2';
import type { LoginCredential } from './login-credential.js';
import { connectHop, forwardThrough, HopError, HopLost, type Keepalive, type PresentedKey } from './hop-client.js';
import { checkHostKey } from './host-key-check.js';
import { dialTcp, DialError, formatHostPort } from './dial-tcp.js';
import type { Lookup } from './dial-address.js';

export interface DialAttemptFailure { hop: string; address: string; why: string; mismatch?: { expected: string; presented: string } }

export class TargetUnreachable extends Error {
  readonly code = 'UPSTREAM_UNREACHABLE';
  constructor(readonly target: string, readonly attempts: DialAttemptFailure[]) {
    super(`${target} unreachable: ${attempts.map((a) => (a.hop === target ? '' : `hop ${a.hop} `) + `${a.address} ${a.why}`).join('; ')}`);
  }
}

export interface UpstreamDeps {
  stores: Pick<Stores, 'targets' | 'credentials' | 'hostKeys'>;
  vault(): Vault;
  /** Connect timeout of a target without its own `connectTimeout`. */
  defaultTimeoutMs(target: Target): number;
  idleCloseMs: number;
  /** `ssh.algorithms`, for every connection the gateway makes to a hop or a target. */
  algorithms: Ssh2Algorithms;
  keepalive: Keepalive;
  /** The gateway's own addresses, refused to its own dials unless a target names them. */
  ownAddresses: ReadonlySet<string>;
  /** The resolver for the gateway's own dials (tests replace it). */
  lookup?: Lookup;
  /** Told how long each dial attempt took (metrics). */
  observeDial?(seconds: number, outcome: 'ok' | 'failed'): void;
  /** Signs the per-login certificates of `type: certificate` credentials. */
  targetCa: TargetCa;
}

/** Who a proxied session's login to its target is for, and what it may carry. */
export interface SessionLogin {
  user: string;
  src: string;
  /** Names the client connection in certificate key ids. */
  connection: string;
  /** The user's forwarded agent (`ssh -A`), or null when they forwarded none. */
  agent: BaseAgent | null;
  /** The rule relays the agent into the session (`agentForwarding: true`). */
  relayAgent: boolean;
  /** The rule allows `ssh -R` (`remoteForward: true`). */
  remoteForward: boolean;
}

/** A login of the gateway's own on a target: its client, and `release` once it closed. */
export interface UpstreamLogin { client: Client; hostKey: PresentedKey; release(): void }

/** Who a login is made for: a person's session, or everyone (a shared hop, `target test`). */
type LoginFor = { kind: 'session'; session: SessionLogin } | { kind: 'shared'; label: string };

/** Told of every failed attempt, also when a later address succeeds (SPEC §6 upstream.failure). */
export type FailureReport = (target: Target, failure: DialAttemptFailure) => void;

export interface HopConnection {
  key: string;
  hop: Target;
  /** Short id, so a session listing shows which sessions share a connection. */
  label: string;
  client: Client;
  /** The stream the client runs over: a TCP socket, or a channel of the hop before. */
  transport: Duplex;
  hostKey: PresentedKey;
  latencyMs: number;
  address: string;
  /** False when the step has no credential: its host key was checked, nothing can pass through it. */
  authenticated: boolean;
  refs: number;
  dead: boolean;
  parent: HopConnection | null;
  idleTimer: NodeJS.Timeout | null;
}

export interface UpstreamChannel {
  stream: Duplex;
  /** `core-jump#1a2b > dmz-jump#3c4d`, or null when dialed directly. */
  via: string | null;
  /** The address the last step reached. */
  address: string;
  /** Gives the hop connections back (call once, when the channel has closed). */
  release(): void;
}

/** How the last step is reached: from the gateway itself, or through a hop connection. */
type Through = HopConnection | null;

/** A direct stream holds no hop connection: one function for all of them, not a closure each. */
function releaseNothing(): void {}

export class UpstreamPool {
  private readonly connections = new Map<string, Promise<HopConnection>>();

  constructor(private readonly deps: UpstreamDeps) {}

  /** A stream to the route's port on its target, through its chain of hops if it has one. */
  async open(route: Pick<Route, 'target' | 'port' | 'chain'>, report: FailureReport): Promise<UpstreamChannel> {
    const { target, port } = route;
    const hops = this.hopsOrFail(target, route.chain, report);
    if (hops.length === 0) {
      const { stream, address } = await this.tryAddresses(report, target, target, port, null);
      return { stream, address, via: null, release: releaseNothing };
    }
    const last = await this.connection(hops, hops.length - 1, report, target);
    this.retain(last);
    try {
      const { stream, address } = await this.tryAddresses(report, target, target, port, last);
      let released = false;
      return { stream, address, via: chainLabel(last), release: () => { if (!released) { released = true; this.release(last); } } };
    } catch (error) {
      this.release(last);
      throw error;
    }
  }

  /**
   * A fresh SSH connection to the target itself, logged in as `login` with the target's
   * credential, through its (shared) hops: the upstream of proxied sessions. Not shared:
   * each client connection gets its own, so targets see one login per user connection.
   */
  async openSession(target: Target, login: string, who: SessionLogin, report: FailureReport): Promise<UpstreamLogin> {
    const relayAgent = who.relayAgent && who.agent ? who.agent : undefined;
    return this.openLogin(target, login, report, async (step) => {
      const stored = target.credential ? await this.deps.stores.credentials.get(target.credential) : null;
      if (!stored) throw new Error(target.credential ? `credential ${target.credential} does not exist` : 'no credential to log in with (set credential on the target)');
      return this.credentialFor(stored, step, login, { kind: 'session', session: who });
    }, relayAgent);
  }

  /**
   * A fresh SSH connection to the target as its own login with `credential` (not the stored
   * one), through its hops as usual: `credential rotate` checks a new key with it, and
   * edits authorized_keys with the stored one before the switch.
   */
  async openWith(target: Target, credential: LoginCredential, report: FailureReport): Promise<UpstreamLogin> {
    if (!target.login) throw new TargetUnreachable(target.name, [{ hop: target.name, address: target.name, why: 'no login (set login on the target)' }]);
    return this.openLogin(target, target.login, report, async () => credential);
  }

  private async openLogin(
    target: Target, login: string, report: FailureReport, credentialFor: (step: Target) => Promise<LoginCredential>, relayAgent?: BaseAgent,
  ): Promise<UpstreamLogin> {
    const hops = await this.hopsFor(target, report);
    const last = hops.length > 0 ? await this.connection(hops, hops.length - 1, report, target) : null;
    if (last) this.retain(last);
    try {
      const { stream: sock, address } = await this.tryAddresses(report, target, target, target.port, last);
      let credential: LoginCredential;
      try {
        credential = await credentialFor(target);
      } catch (error) {
        sock.destroy();
        throw this.failed(report, target, target, address, (error as Error).message);
      }
      try {
        const session = await connectHop(sock, {
          target: { ...target, login },
          credential,
          relayAgent,
          timeoutMs: this.timeoutOf(target),
          algorithms: this.deps.algorithms,
          keepalive: this.deps.keepalive,
          verifyHostKey: (presented) => checkHostKey(this.deps.stores.hostKeys, target, presented),
        });
        let released = false;
        const release = () => { if (!released && last) { released = true; this.release(last); } };
        session.client.on('close', release);
        // A forwarded channel that ends leaves ssh2's client waiting for a close that the
        // hop sends only after ours: end it, so the session and its channels end too.
        session.client.on('end', () => sock.destroy());
        return { client: session.client, hostKey: session.hostKey, release };
      } catch (error) {
        throw this.failed(report, target, target, address, error instanceof HopError ? error.why : String(error), error instanceof HopError ? error.mismatch : undefined);
      }
    } catch (error) {
      if (last) this.release(last);
      throw error;
    }
  }

  /** Connects every hop of the chain and the target itself over SSH (`target test`, `target trust`). */
  async connectAll(target: Target, report: FailureReport, onHop: (hop: Target, connection: HopConnection) => void): Promise<void> {
    const chain = [...(await this.hopsFor(target, report)), target];
    for (let i = 0; i < chain.length; i++) {
      const connection = await this.connection(chain, i, report, target);
      onHop(chain[i], connection);
    }
  }

  /** Closes every hop connection (gateway shutdown). */
  async closeAll(): Promise<void> {
    for (const pending of this.connections.values()) {
      const connection = await pending.catch(() => null);
      connection?.client.end();
    }
    this.connections.clear();
  }

  /** Live hop connections, for listings and tests. */
  async live(): Promise<HopConnection[]> {
    const all = await Promise.all([...this.connections.values()].map((p) => p.catch(() => null)));
    return all.filter((c): c is HopConnection => c !== null && !c.dead);
  }

  private async hopsFor(target: Target, report: FailureReport): Promise<Target[]> {
    if (!target.via) return [];
    const targets = new Map((await this.deps.stores.targets.list()).map((t) => [t.name, t]));
    return this.hopsOrFail(target, hopChain(target, (name) => targets.get(name)), report);
  }

  private hopsOrFail(target: Target, chain: HopChain, report: FailureReport): Target[] {
    if (chain.ok) return chain.hops;
    const failure = { hop: chain.at, address: chain.at, why: chain.problem };
    report(target, failure);
    throw new TargetUnreachable(target.name, [failure]);
  }

  /**
   * Opens a stored secret, or makes the login's own: a certificate signed for this login,
   * or the user's forwarded agent. A shared hop connection serves everyone, so it can log
   * in with a certificate but never with one person's agent.
   */
  private async credentialFor(stored: StoredCredential, step: Target, login: string, loginFor: LoginFor): Promise<LoginCredential> {
    switch (stored.type) {
      case 'password':
      case 'privateKey':
        return openCredential(this.deps.vault(), stored);
      case 'certificate': {
        const session = loginFor.kind === 'session' ? loginFor.session : null;
        const permissions: CertificatePermission[] = session
          ? ['permit-pty', ...(session.relayAgent ? ['permit-agent-forwarding' as const] : []), ...(session.remoteForward ? ['permit-port-forwarding' as const] : [])]
          : ['permit-port-forwarding'];
        const issued = await this.deps.targetCa.issue({
          target: step.name, login, user: session?.user ?? null, src: session?.src ?? null,
          session: loginFor.kind === 'session' ? `connection ${loginFor.session.connection}` : `hop ${loginFor.label}`, permissions,
        });
        return { type: 'certificate', key: issued.key, certificate: issued.certificate };
      }
      case 'agent': {
        if (loginFor.kind !== 'session') throw new Error(`credential ${stored.name} is the user's own agent: it logs in proxied sessions only, not hops or target test`);
        const { agent } = loginFor.session;
        if (!agent) throw new Error(`${step.name} logs in with your own key: connect with ssh -A`);
        return { type: 'agent', agent };
      }
    }
  }

  private timeoutOf(target: Target): number {
    return this.deps.defaultTimeoutMs(target);
  }

  /** The shared connection to `chain[index]`, reached through `chain[0..index-1]`. */
  private async connection(chain: Target[], index: number, report: FailureReport, destination: Target): Promise<HopConnection> {
    const key = chain.slice(0, index + 1).map((t) => t.name).join('>');
    const existing = this.connections.get(key);
    if (existing) {
      const connection = await existing.catch(() => null);
      if (connection && !connection.dead) return connection;
      if (this.connections.get(key) === existing) this.connections.delete(key);
    }
    const pending = this.dialHop(chain, index, key, report, destination);
    this.connections.set(key, pending);
    pending.catch(() => { if (this.connections.get(key) === pending) this.connections.delete(key); });
    return pending;
  }

  /** `destination`: the target the caller wants, named in every failure. */
  private async dialHop(chain: Target[], index: number, key: string, report: FailureReport, destination: Target): Promise<HopConnection> {
    const hop = chain[index];
    const parent = index > 0 ? await this.connection(chain, index - 1, report, destination) : null;
    if (parent) this.retain(parent);
    try {
      const started = Date.now();
      const { stream: sock, address } = await this.tryAddresses(report, destination, hop, hop.port, parent);
      const credential = hop.credential ? await this.deps.stores.credentials.get(hop.credential) : null;
      const refuse = (why: string) => {
        sock.destroy();
        return this.failed(report, destination, hop, address, why);
      };
      if (hop.credential && !credential) throw refuse(`credential ${hop.credential} does not exist`);
      if (!credential && hop !== destination) throw refuse('no credential to log into this hop (set credential and login)');
      // Never a default user such as root: the operator says whom the gateway logs in as.
      if (credential && !hop.login) throw refuse(`${hop.name} has a credential but no login (set login on the target)`);
      let login: LoginCredential | null = null;
      try {
        login = credential && hop.login ? await this.credentialFor(credential, hop, hop.login, { kind: 'shared', label: key }) : null;
      } catch (error) {
        throw refuse((error as Error).message);
      }
      let session;
      try {
        session = await connectHop(sock, {
          target: hop,
          credential: login,
          timeoutMs: this.timeoutOf(hop),
          algorithms: this.deps.algorithms,
          keepalive: this.deps.keepalive,
          verifyHostKey: (presented) => checkHostKey(this.deps.stores.hostKeys, hop, presented),
        });
      } catch (error) {
        const why = error instanceof HopError ? error.why : String(error);
        throw this.failed(report, destination, hop, address, why, error instanceof HopError ? error.mismatch : undefined);
      }
      const connection: HopConnection = {
        key, hop, label: `${hop.name}#${randomBytes(2).toString('hex')}`, client: session.client, transport: sock, hostKey: session.hostKey,
        latencyMs: Date.now() - started, address, authenticated: session.authenticated, refs: 0, dead: false, parent, idleTimer: null,
      };
      const die = () => this.bury(connection);
      // ssh2 emits 'close' only once the stream under it closes; a forwarded channel whose
      // far end went away only ends (its close waits for ours), and a keepalive timeout
      // is an 'error'. Each of them is the end of this connection.
      session.client.on('end', die);
      session.client.on('close', die);
      session.client.on('error', die);
      this.scheduleIdle(connection);
      return connection;
    } catch (error) {
      if (parent) this.release(parent);
      throw error;
    }
  }

  /**
   * A hop connection is dead: it leaves the pool at once and gives its parent back, and
   * its stream is destroyed. Over a TCP socket that closes it; over a channel of the hop
   * before, it sends that hop our EOF and CLOSE, whose answer makes ssh2 end every channel
   * through this connection (RFC 4254 §5.3), which ends the sessions relayed over them.
   */
  private bury(connection: HopConnection): void {
    if (connection.dead) return;
    connection.dead = true;
    if (connection.idleTimer) clearTimeout(connection.idleTimer);
    connection.idleTimer = null;
    const pending = this.connections.get(connection.key);
    pending?.then((c) => { if (c === connection && this.connections.get(connection.key) === pending) this.connections.delete(connection.key); }, () => {});
    if (connection.parent) this.release(connection.parent);
    connection.transport.destroy();
  }

  private failed(report: FailureReport, final: Target, hop: Target, address: string, why: string, mismatch?: { expected: string; presented: string }): TargetUnreachable {
    const failure = { hop: hop.name, address, why, mismatch };
    report(final, failure);
    return new TargetUnreachable(final.name, [failure]);
  }

  /**
   * Reaches `port` of `step` from the gateway itself, or through the hop connection
   * `through`: `step.host`, then each alternate host, in order; every failure is reported.
   * A hop connection found gone on the way is that hop's failure, not the step's.
   */
  private async tryAddresses(report: FailureReport, final: Target, step: Target, port: number, through: Through): Promise<{ stream: Duplex; address: string }> {
    const failures: DialAttemptFailure[] = [];
    const timeoutMs = this.timeoutOf(step);
    for (const host of [step.host, ...step.alternateHosts]) {
      const address = formatHostPort(host, port);
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      try {
        const stream: Duplex = await (through
          ? forwardThrough(through.client, host, port, timeoutMs)
          : dialTcp(host, port, timeoutMs, { ownAddresses: this.deps.ownAddresses, lookup: this.deps.lookup }));
        this.deps.observeDial?.(seconds(), 'ok');
        return { stream, address };
      } catch (error) {
        this.deps.observeDial?.(seconds(), 'failed');
        if (error instanceof HopLost && through) {
          this.bury(through);
          throw this.failed(report, final, through.hop, through.address, 'connection lost');
        }
        const failure = { hop: step.name, address, why: error instanceof DialError ? error.why : (error as Error).message };
        failures.push(failure);
        report(final, failure);
      }
    }
    throw new TargetUnreachable(final.name, failures);
  }

  private retain(connection: HopConnection): void {
    connection.refs += 1;
    if (connection.idleTimer) {
      clearTimeout(connection.idleTimer);
      connection.idleTimer = null;
    }
  }

  private release(connection: HopConnection): void {
    connection.refs = Math.max(0, connection.refs - 1);
    if (connection.refs === 0) this.scheduleIdle(connection);
  }

  private scheduleIdle(connection: HopConnection): void {
    if (connection.dead || connection.refs > 0 || connection.idleTimer) return;
    connection.idleTimer = setTimeout(() => connection.client.end(), this.deps.idleCloseMs);
    connection.idleTimer.unref();
  }
}

function chainLabel(connection: HopConnection): string {
  const labels: string[] = [];
  for (let c: HopConnection | null = connection; c; c = c.parent) labels.unshift(c.label);
  return labels.join(' > ');
}
