/**
 * One client connection: authentication, then the channels it opens. This file turns
 * ssh2 callbacks into calls of the parts that decide; it decides nothing itself.
 */
import type { Connection, AuthContext, PublicKeyAuthContext, Session } from 'ssh2';
import type { GatewayDeps } from './gateway-deps.js';
import type { LiveSessions } from './live-sessions.js';
import { parseLoginName, type LoginName } from './login-name.js';
import { checkUserKey, signatureValid } from './public-key-auth.js';
import { LEGACY_SIGNATURES } from './algorithms.js';
import { handleDirectTcpip, OPEN_FAILURE, type TcpipInfo, type AcceptChannel, type RejectChannel } from './direct-tcpip-channel.js';
import { handleSessionChannel, howToConnectText } from './session-channel.js';
import { reachableTargets } from '../policy/reachable-targets.js';
import { ms } from '../config/load-settings.js';

export interface ClientAddress { ip: string; port: number; src: string; localAddress: string; localPort: number }

export function handleConnection(deps: GatewayDeps, sessions: LiveSessions, client: Connection, address: ClientAddress): void {
  const { audit, logger, settings } = deps;
  const { src } = address;
  let attempts = 0;
  let authenticated: { user: string; login: LoginName & { ok: true } } | null = null;
  const closeListeners: Array<() => void> = [];

  const grace = setTimeout(() => {
    logger.info('login grace time over, disconnecting', { src });
    client.end();
  }, ms(settings.ssh.loginGraceTime));

  client.on('error', (error: Error) => logger.debug('client connection error', { src, error }));
  client.on('close', () => {
    clearTimeout(grace);
    for (const listener of closeListeners.splice(0)) listener();
  });

  client.on('authentication', (ctx: AuthContext) => {
    void authenticate(ctx).catch((error) => {
      logger.error('authentication failed unexpectedly', { src, error });
      ctx.reject(['publickey']);
    });
  });

  const fail = async (ctx: AuthContext, user: string, method: string, reason: string) => {
    ctx.reject(['publickey']);
    await audit.record({ type: 'auth.failure', user, src, method, reason });
  };

  async function authenticate(ctx: AuthContext): Promise<void> {
    const login = parseLoginName(ctx.username);
    if (ctx.method === 'none') return ctx.reject(['publickey']);
    attempts += 1;
    if (attempts > settings.ssh.maxAuthTries) {
      await audit.record({ type: 'auth.failure', user: login.user, src, method: ctx.method, reason: 'too many authentication attempts' });
      client.end();
      return;
    }
    if (ctx.method !== 'publickey') return fail(ctx, login.user, ctx.method, `method ${ctx.method} not allowed`);
    if (!login.ok) return fail(ctx, login.user, 'publickey', `bad login name "${ctx.username}": ${login.reason}`);
    const keyCtx = ctx as PublicKeyAuthContext;
    if (LEGACY_SIGNATURES.has(keyCtx.key.algo)) return fail(ctx, login.user, 'publickey', `signature algorithm ${keyCtx.key.algo} refused (SHA-1)`);

    const user = await deps.stores.users.get(login.user);
    const verdict = checkUserKey(user, keyCtx.key.data, address.ip);
    if (!verdict.ok) return fail(ctx, login.user, 'publickey', verdict.reason);
    // Without a signature the client only asks whether the key would do (RFC 4252 §7).
    if (!keyCtx.signature || !keyCtx.blob) return ctx.accept();
    if (!signatureValid(keyCtx.key.data, keyCtx.blob, keyCtx.signature, keyCtx.hashAlgo)) {
      return fail(ctx, login.user, 'publickey', 'signature invalid');
    }
    authenticated = { user: login.user, login };
    ctx.accept();
    await audit.record({ type: 'auth.success', user: login.user, src, method: 'publickey', key: verdict.fingerprint });
  }

  client.on('ready', () => {
    clearTimeout(grace);
    if (!authenticated) return client.end();
    const { user, login } = authenticated;
    const who = { userName: user, ip: address.ip, mfaVerified: false };
    const context = { deps, sessions, who, src, onConnectionClose: (listener: () => void) => closeListeners.push(listener) };

    client.on('tcpip', (accept: AcceptChannel, reject: RejectChannel, info: TcpipInfo) => {
      void handleDirectTcpip(context, accept, reject, info).catch((error) => {
        logger.error('direct-tcpip failed', { src, error });
        reject(OPEN_FAILURE.CONNECT_FAILED, 'jumpgate: internal error');
      });
    });

    client.on('session', (accept: () => Session) => {
      handleSessionChannel(accept(), async () => howToConnectText({
        user, gate: address.localAddress, port: address.localPort,
        targets: await reachableTargets(deps.stores, user), proxiedTarget: login.target,
      }));
    });

    // Remote forwarding (`ssh -R`) and other global requests are refused (SPEC §2.3).
    client.on('request', (_accept: unknown, reject: (() => void) | undefined, name: string, info: { bindAddr?: string; bindPort?: number }) => {
      reject?.();
      if (name === 'tcpip-forward') {
        void audit.record({
          type: 'access.denied', user, src, access: 'remoteForward', target: null,
          destination: `${info.bindAddr ?? ''}:${info.bindPort ?? 0}`, reason: 'remote forwarding is not granted',
        });
      }
    });
  });
}
