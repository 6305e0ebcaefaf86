/**
 * One client connection: authentication, then the channels it opens. This file turns
 * ssh2 callbacks into calls of the parts that decide; it decides nothing itself.
 */
import type { Client, Connection, AuthContext, Session } from 'ssh2';
import type { GatewayDeps } from './gateway-deps.js';
import type { LiveSessions } from './live-sessions.js';
import { AuthFlow, type Authenticated } from './auth-flow.js';
import type { Requester } from './access-check.js';
import { logConnection } from './connection-log.js';
import { gateAddress } from './public-address.js';
import type { BanGuard } from './ban-guard.js';
import { handleDirectTcpip, auditUpstreamFailure, OPEN_FAILURE, type TcpipInfo, type AcceptChannel, type RejectChannel, type ChannelContext } from './direct-tcpip-channel.js';
import { handleSessionChannel, howToConnectText } from './session-channel.js';
import { formatHostPort } from '../upstream/dial-tcp.js';
import { handleProxiedSession, type ProxiedConnection } from './proxied-session.js';
import { runTargetMenu } from './target-menu.js';
import { runGatewayCommand } from './gateway-commands.js';
import { reachableTargetList } from '../policy/reachable-targets.js';
import { ConnectionChannels, type ChannelSlot } from './connection-channels.js';
import { background } from '../runtime/background.js';
import { ClientAgent } from './client-agent.js';
import { RemoteForwards } from './remote-forward.js';
import { randomBytes } from 'node:crypto';

export interface ClientAddress { ip: string; port: number; src: string; localAddress: string; localPort: number }

export interface ConnectionHooks {
  /** The connection authenticated (it no longer counts as a pre-auth start). */
  onAuthenticated(): void;
}

export function handleConnection(deps: GatewayDeps & { bans: BanGuard }, sessions: LiveSessions, client: Connection, address: ClientAddress, hooks: ConnectionHooks): void {
  const connection = new ClientConnection(deps, sessions, client, address, hooks);
  (client as Listened)[CONNECTION] = connection;
  client.on('error', onError);
  client.on('handshake', onHandshake);
  client.on('close', onClose);
  client.on('authentication', onAuthentication);
  client.on('ready', onReady);
}

/** The connection an ssh2 Connection belongs to, kept on it so its listeners are shared functions. */
const CONNECTION = Symbol('connection');
type Listened = Connection & { [CONNECTION]?: ClientConnection };
const of = (client: Connection): ClientConnection => (client as Listened)[CONNECTION]!;

type Reply = ((port?: number) => void) | undefined;

function onError(this: Connection, error: Error): void { of(this).error(error); }
function onHandshake(this: Connection, negotiated: { kex: string; cs: { cipher: string; compress: string } }): void { of(this).handshake(negotiated); }
function onClose(this: Connection): void { of(this).closed(); }
function onAuthentication(this: Connection, ctx: AuthContext): void { of(this).authentication(ctx); }
function onReady(this: Connection): void { of(this).ready(); }
function onTcpip(this: Connection, accept: AcceptChannel, reject: RejectChannel, info: TcpipInfo): void { of(this).tcpip(accept, reject, info); }
function onSession(this: Connection, accept: () => Session | undefined, reject: RejectChannel): void { of(this).session(accept, reject); }
function onRequest(this: Connection, accept: Reply, reject: Reply, name: string, info: { bindAddr?: string; bindPort?: number }): void { of(this).request(accept, reject, name, info); }

/**
 * One client connection's state. Idle connections are most of a gateway's memory at
 * scale, so it lives in one object whose listeners are shared, rather than in a dozen
 * closures per connection; what only proxied sessions use is made when first needed.
 */
class ClientConnection implements ChannelContext {
  readonly src: string;
  private readonly channels: ConnectionChannels;
  /** Dropped once the connection is authenticated: an idle session keeps only what it uses. */
  private auth: AuthFlow | null;
  private lastError: Error | null = null;
  /** Whether this connection's log line was written (at authentication); else it is written at close. */
  private announced = false;
  /** What channels need of the authentication; the rest of its result is let go of. */
  private login: Authenticated['login'] | null = null;
  /** Set at authentication, before any channel can open. */
  who!: Requester;
  portForwardingPermitted?: boolean;
  private proxiedConnection: ProxiedConnection | null = null;
  private remoteForwards: RemoteForwards | null = null;

  constructor(
    readonly deps: GatewayDeps & { bans: BanGuard },
    readonly sessions: LiveSessions,
    private readonly client: Connection,
    private readonly address: ClientAddress,
    private hooks: ConnectionHooks | null,
  ) {
    const { src } = address;
    this.src = src;
    this.channels = new ConnectionChannels(deps.settings.ssh.maxChannelsPerConnection, this);
    this.auth = new AuthFlow(deps, { ip: address.ip, src, end: () => client.end() });
  }

  /** A channel's stop threw when the connection closed (ConnectionChannels). */
  stopFailed(error: unknown): void {
    this.deps.logger.error('ending a channel with its connection failed', { src: this.src, error });
  }

  error(error: Error): void {
    this.lastError = error;
    this.deps.logger.debug('client connection error', { src: this.src, error });
  }

  handshake(negotiated: { kex: string; cs: { cipher: string; compress: string } }): void {
    this.deps.logger.debug('key exchange done', { src: this.src, kex: negotiated.kex, cipher: negotiated.cs.cipher, compression: negotiated.cs.compress });
  }

  closed(): void {
    const { auth, src } = this;
    const { logger } = this.deps;
    if (auth && !this.announced) {
      logConnection(logger, auth.lastFailure
        ? { src, user: auth.lastUser, outcome: 'authentication failed', reason: auth.lastFailure }
        : { src, user: auth.lastUser, outcome: 'closed before authentication', error: this.lastError ?? undefined });
    }
    if (auth) background(logger, 'closing the authentication of a connection', auth.closed());
    this.channels.close();
  }

  authentication(ctx: AuthContext): void {
    if (!this.auth) return ctx.reject();
    this.auth.handle(ctx).catch((error: unknown) => {
      this.deps.logger.error('authentication failed unexpectedly', { src: this.src, error });
      ctx.reject();
    });
  }

  ready(): void {
    const { client } = this;
    const result = this.auth?.result;
    if (!result) {
      client.end();
      return;
    }
    this.auth = null;
    this.hooks?.onAuthenticated();
    this.hooks = null;
    this.login = result.login;
    const { user, login, mfaVerified, portForwardingPermitted } = result;
    this.announced = true;
    logConnection(this.deps.logger, { src: this.src, user, outcome: 'authenticated', method: result.method, target: login.target ?? undefined });
    this.who = { userName: user, ip: this.address.ip, mfaVerified };
    this.portForwardingPermitted = portForwardingPermitted;

    client.on('tcpip', onTcpip);
    client.on('session', onSession);
    // Remote forwarding (`ssh -R`) binds on the target of a proxied session where its rule
    // says remoteForward: true; with no target, and for every other global request, refused (SPEC §2.3).
    if (login.target) this.remoteForwards = new RemoteForwards({ ...this.proxied(), channels: this.channels }, client, login.target, login.login);
    client.on('request', onRequest);
  }

  /** A slot for a new channel, or null after refusing it (RFC 4254 §5.1 RESOURCE_SHORTAGE). */
  private slotFor(reject: RejectChannel, access: string, destination: string): ChannelSlot | null {
    const slot = this.channels.take();
    if (slot) return slot;
    const { limit } = this.channels;
    const user = this.who.userName;
    reject(OPEN_FAILURE.RESOURCE_SHORTAGE, `jumpgate: ${user} has ${limit} channels open on this connection, the most allowed (ssh.maxChannelsPerConnection)`);
    this.deps.audit.note({
      type: 'access.denied', user, src: this.src, access, target: null, destination,
      reason: `too many channels on one connection (ssh.maxChannelsPerConnection ${limit})`,
    });
    return null;
  }

  tcpip(accept: AcceptChannel, reject: RejectChannel, info: TcpipInfo): void {
    const slot = this.slotFor(reject, info.destPort === 22 ? 'jump' : 'forward', formatHostPort(info.destIP, info.destPort));
    if (!slot) return;
    handleDirectTcpip(this, slot, accept, reject, info).catch((error: unknown) => {
      this.deps.logger.error('direct-tcpip failed', { src: this.src, error });
      reject(OPEN_FAILURE.CONNECT_FAILED, 'jumpgate: internal error');
    });
  }

  session(accept: () => Session | undefined, reject: RejectChannel): void {
    const login = this.login!;
    const user = this.who.userName;
    const slot = this.slotFor(reject, 'session', login.target ? `${login.login ?? '?'}@${login.target}` : 'gateway');
    if (!slot) return;
    const session = accept();
    if (!session) return slot.release();
    // ssh2 emits 'close' on a session when the client closes it; a connection that dies
    // takes every slot with it.
    session.once('close', () => slot.release());
    const proxied = this.proxied();
    if (login.target) return handleProxiedSession(proxied, session, login.target, login.login);
    const { deps, src, address } = this;
    const { logger } = deps;
    const gate = gateAddress(deps.settings.ssh.publicAddress, `${address.localAddress}:${address.localPort}`);
    handleSessionChannel(session, async () => howToConnectText({
      user, gate: gate.host, port: gate.port,
      sessionTargets: (await reachableTargetList(deps.stores, user, 'session')).map((t) => t.name),
      jumpTargets: (await reachableTargetList(deps.stores, user, 'jump')).map((t) => t.name),
    }), (channel, pty, env) => background(logger, 'target menu', runTargetMenu(proxied, channel, pty, env)),
    (line) => runGatewayCommand(deps, { user, src, gate }, line).catch((error: unknown) => {
      logger.error('gateway command failed', { src, user, error });
      throw error;
    }));
  }

  request(accept: Reply, reject: Reply, name: string, info: { bindAddr?: string; bindPort?: number }): void {
    const { remoteForwards } = this;
    if (remoteForwards && typeof info.bindAddr === 'string' && typeof info.bindPort === 'number') {
      const request = { bindAddr: info.bindAddr, bindPort: info.bindPort };
      if (name === 'tcpip-forward') return background(this.deps.logger, 'remote forward', remoteForwards.listen(request, accept, reject).catch((error: unknown) => { reject?.(); throw error; }));
      if (name === 'cancel-tcpip-forward') return remoteForwards.cancel(request, accept, reject);
    }
    reject?.();
    if (name === 'tcpip-forward') {
      this.deps.audit.note({
        type: 'access.denied', user: this.who.userName, src: this.src, access: 'remoteForward', target: null,
        destination: `${info.bindAddr ?? ''}:${info.bindPort ?? 0}`, reason: 'remote forwarding is not granted',
      });
    }
  }

  /** What proxied sessions and the target menu use; made at the first of them (a jump never needs it). */
  private proxied(): ProxiedConnection {
    if (this.proxiedConnection) return this.proxiedConnection;
    const { deps, sessions, who, src, client, channels } = this;
    const user = who.userName;
    let upstreams: Map<string, Promise<Client>> | null = null;
    let connectionId: string | null = null;
    // Set once the client asks to forward its agent (`ssh -A`): only then is it used.
    let agent: ClientAgent | null = null;
    this.proxiedConnection = {
      deps, sessions, who, src,
      offerAgent() {
        agent ??= new ClientAgent(client);
      },
      upstream(target, targetLogin, grants) {
        // Logins that relay different things do not share a connection to the target.
        const key = `${target.name}@${targetLogin}${grants.relayAgent ? '+agent' : ''}${grants.remoteForward ? '+remote' : ''}`;
        const open = (upstreams ??= new Map<string, Promise<Client>>());
        connectionId ??= randomBytes(4).toString('hex');
        let pending = open.get(key);
        if (!pending) {
          const sessionLogin = { user, src, connection: connectionId, agent, ...grants };
          pending = deps.upstream.openSession(target, targetLogin, sessionLogin, (failed, failure) => auditUpstreamFailure(deps, user, src, failed.name, failure))
            .then(({ client: upstreamClient }) => {
              const forget = channels.whenClosed(() => upstreamClient.end());
              upstreamClient.on('close', () => {
                open.delete(key);
                forget();
              });
              return upstreamClient;
            });
          pending.catch(() => open.delete(key));
          open.set(key, pending);
        }
        return pending;
      },
    };
    return this.proxiedConnection;
  }
}
