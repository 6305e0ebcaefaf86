/**
 * One client connection: authentication, then the channels it opens. This file turns
 * ssh2 callbacks into calls of the parts that decide; it decides nothing itself.
 */
import type { Client, Connection, AuthContext, Session } from 'ssh2';
import type { GatewayDeps } from './gateway-deps.js';
import type { LiveSessions } from './live-sessions.js';
import { AuthFlow } from './auth-flow.js';
import { logConnection } from './connection-log.js';
import { gateAddress } from './public-address.js';
import type { BanGuard } from './ban-guard.js';
import { handleDirectTcpip, auditUpstreamFailure, OPEN_FAILURE, type TcpipInfo, type AcceptChannel, type RejectChannel } from './direct-tcpip-channel.js';
import { handleSessionChannel, howToConnectText } from './session-channel.js';
import { formatHostPort } from '../upstream/dial-tcp.js';
import { handleProxiedSession, type ProxiedConnection } from './proxied-session.js';
import { runTargetMenu } from './target-menu.js';
import { runGatewayCommand } from './gateway-commands.js';
import { reachableTargetList } from '../policy/reachable-targets.js';
import { ConnectionChannels } from './connection-channels.js';
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
  const { audit, logger } = deps;
  const { src } = address;
  const channels = new ConnectionChannels(deps.settings.ssh.maxChannelsPerConnection, (error) => logger.error('ending a channel with its connection failed', { src, error }));
  // Dropped once the connection is authenticated: an idle session keeps only what it uses.
  let auth: AuthFlow | null = new AuthFlow(deps, { ip: address.ip, src, end: () => client.end() });

  let lastError: Error | null = null;
  /** Whether this connection's log line was written (at authentication); else it is written at close. */
  let announced = false;
  client.on('error', (error: Error) => {
    lastError = error;
    logger.debug('client connection error', { src, error });
  });
  client.on('handshake', (negotiated: { kex: string; cs: { cipher: string; compress: string } }) => {
    logger.debug('key exchange done', { src, kex: negotiated.kex, cipher: negotiated.cs.cipher, compression: negotiated.cs.compress });
  });
  client.on('close', () => {
    if (auth && !announced) {
      logConnection(logger, auth.lastFailure
        ? { src, user: auth.lastUser, outcome: 'authentication failed', reason: auth.lastFailure }
        : { src, user: auth.lastUser, outcome: 'closed before authentication', error: lastError ?? undefined });
    }
    if (auth) background(logger, 'closing the authentication of a connection', auth.closed());
    channels.close();
  });

  client.on('authentication', (ctx: AuthContext) => {
    if (!auth) return ctx.reject();
    auth.handle(ctx).catch((error: unknown) => {
      logger.error('authentication failed unexpectedly', { src, error });
      ctx.reject();
    });
  });

  client.on('ready', () => {
    const result = auth?.result;
    if (!result) return client.end();
    auth = null;
    hooks.onAuthenticated();
    const { user, login, mfaVerified, portForwardingPermitted } = result;
    announced = true;
    logConnection(logger, { src, user, outcome: 'authenticated', method: result.method, target: login.target ?? undefined });
    const who = { userName: user, ip: address.ip, mfaVerified };
    const context = { deps, sessions, who, src, portForwardingPermitted };

    /** A slot for a new channel, or null after refusing it (RFC 4254 §5.1 RESOURCE_SHORTAGE). */
    const slotFor = (reject: RejectChannel, access: string, destination: string) => {
      const slot = channels.take();
      if (slot) return slot;
      const limit = channels.limit;
      reject(OPEN_FAILURE.RESOURCE_SHORTAGE, `jumpgate: ${user} has ${limit} channels open on this connection, the most allowed (ssh.maxChannelsPerConnection)`);
      audit.note({
        type: 'access.denied', user, src, access, target: null, destination,
        reason: `too many channels on one connection (ssh.maxChannelsPerConnection ${limit})`,
      });
      return null;
    };

    client.on('tcpip', (accept: AcceptChannel, reject: RejectChannel, info: TcpipInfo) => {
      const slot = slotFor(reject, info.destPort === 22 ? 'jump' : 'forward', formatHostPort(info.destIP, info.destPort));
      if (!slot) return;
      handleDirectTcpip(context, slot, accept, reject, info).catch((error: unknown) => {
        logger.error('direct-tcpip failed', { src, error });
        reject(OPEN_FAILURE.CONNECT_FAILED, 'jumpgate: internal error');
      });
    });

    // Made at the first proxied session: a jump or forward connection never needs them.
    let upstreams: Map<string, Promise<Client>> | null = null;
    let connectionId: string | null = null;
    // Set once the client asks to forward its agent (`ssh -A`): only then is it used.
    let agent: ClientAgent | null = null;
    const proxied: ProxiedConnection = {
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

    client.on('session', (accept: () => Session | undefined, reject: RejectChannel) => {
      const slot = slotFor(reject, 'session', login.target ? `${login.login ?? '?'}@${login.target}` : 'gateway');
      if (!slot) return;
      const session = accept();
      if (!session) return slot.release();
      // ssh2 emits 'close' on a session when the client closes it; a connection that dies
      // takes every slot with it.
      session.once('close', () => slot.release());
      if (login.target) return handleProxiedSession(proxied, session, login.target, login.login);
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
    });

    // Remote forwarding (`ssh -R`) binds on the target of a proxied session where its rule
    // says remoteForward: true; with no target, and for every other global request, refused (SPEC §2.3).
    const remoteForwards = login.target ? new RemoteForwards({ ...proxied, channels }, client, login.target, login.login) : null;
    type Reply = ((port?: number) => void) | undefined;
    client.on('request', (accept: Reply, reject: Reply, name: string, info: { bindAddr?: string; bindPort?: number }) => {
      if (remoteForwards && typeof info.bindAddr === 'string' && typeof info.bindPort === 'number') {
        const request = { bindAddr: info.bindAddr, bindPort: info.bindPort };
        if (name === 'tcpip-forward') return background(logger, 'remote forward', remoteForwards.listen(request, accept, reject).catch((error: unknown) => { reject?.(); throw error; }));
        if (name === 'cancel-tcpip-forward') return remoteForwards.cancel(request, accept, reject);
      }
      reject?.();
      if (name === 'tcpip-forward') {
        audit.note({
          type: 'access.denied', user, src, access: 'remoteForward', target: null,
          destination: `${info.bindAddr ?? ''}:${info.bindPort ?? 0}`, reason: 'remote forwarding is not granted',
        });
      }
    });
  });
}
