/**
 * The SSH listener. We own the TCP listener and hand sockets to ssh2 (`injectSocket`), so
 * connection caps are applied before any SSH byte is spent on a connection.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection } from 'ssh2';
import type { GatewayDeps } from './gateway-deps.js';
import { LiveSessions } from './live-sessions.js';
import { logConnection } from './connection-log.js';
import { removeListening, writeListening } from './public-address.js';
import type { Ban } from '../store/store.js';
import { handleConnection } from './connection.js';
import { gatewayAlgorithms } from './algorithms.js';
import { addressText, plainIp } from './address-text.js';
import { ms } from '../config/load-settings.js';
import { BanGuard } from './ban-guard.js';
import { KnockGate } from './port-knock.js';
import { Admission, type PreAuthSlot, type Refusal } from './admission.js';
import { DescriptorReserve } from './descriptor-reserve.js';
import { readOpenFilesLimit } from '../runtime/open-files.js';
import { background } from '../runtime/background.js';
import { destroyAfterEnd, destroyWhenSilent } from './abandoned-socket.js';
import { addressInAny } from '../domain/cidr.js';
import { looksLikeProxyHeader } from './proxy-header.js';
import { adoptClientAddress, takeProxyHeader } from './proxy-intake.js';

export interface Gateway {
  sessions: LiveSessions;
  /** Counts authentication failures toward bans; the web console's sign-in counts with it. */
  bans: BanGuard;
  /** Resolves with the bound addresses once every listener is up. */
  listen(addresses: readonly string[]): Promise<string[]>;
  /** Stops listening, ends live sessions as `reason`, closes connections. */
  close(reason?: 'shutdown'): Promise<void>;
}

export function splitHostPort(text: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(text);
  if (!match) throw new Error(`not HOST:PORT: ${text}`);
  return { host: match[1], port: Number(match[2]) };
}

/**
 * Compression as OpenSSH's sshd offers it since 7.4: none, or zlib only once the client
 * has authenticated (`zlib@openssh.com`), so no stranger reaches the decompressor. Plain
 * pre-authentication `zlib` is not offered.
 */
export const GATEWAY_COMPRESSION = ['none', 'zlib@openssh.com'];

/** A proxy sends its header with the connection's first bytes; one that has not after this is refused. */
const PROXY_HEADER_WAIT_MS = 5_000;

/** The ssh2 server configuration of the gateway (the fuzz tests build the same server). */
export function sshServerConfig(settings: GatewayDeps['settings'], hostKeys: readonly Buffer[]): ssh2.ServerConfig {
  return {
    hostKeys: [...hostKeys],
    algorithms: { ...gatewayAlgorithms(settings.ssh.algorithms), compress: GATEWAY_COMPRESSION } as ssh2.Algorithms,
    ident: 'jumpgate',
    keepaliveInterval: ms(settings.ssh.keepaliveInterval),
    keepaliveCountMax: 3,
  };
}

/** The line a banned client reads before the connection closes (SPEC §5, `bans`); `ssh -v` shows it. */
export function banNotice(ban: Ban): string {
  return `jumpgate: ${ban.address} is banned until ${ban.until} (an operator can lift it: jumpgate unban ${ban.address})\r\n`;
}

function banDetails(ban: Ban | undefined): Record<string, string> {
  return ban ? { until: ban.until, undo: `jumpgate unban ${ban.address}` } : {};
}

/** Writes the notice and closes; a client that never reads does not hold the socket (destroyAfterEnd). */
function tellBanned(socket: Socket, ban: Ban): void {
  destroyAfterEnd(socket, ignoreAbandoned);
  socket.end(banNotice(ban));
}

function ignoreAbandoned(): void {}

function destroyOnError(this: Socket): void {
  this.destroy();
}

export function createGateway(deps: GatewayDeps, hostKeys: readonly Buffer[]): Gateway {
  const { settings, logger } = deps;
  const sessions = new LiveSessions(deps);
  const sockets = new Set<Socket>();
  const clients = new Set<Connection>();

  // ssh2 announces a connection ('connection') while it parses the client's version line,
  // inside that socket's 'data' event. A 'data' listener of ours, added before ssh2 adds
  // its own, notes which socket is speaking, so the connection finds its socket (local
  // address, pre-auth slot) without reading ssh2's private fields.
  let speaking: Socket | null = null;
  const ssh = new ssh2.Server(sshServerConfig(settings, hostKeys));
  ssh.on('connection', (client: Connection, info: { ip: string; port: number }) => {
    const socket = speaking;
    if (!socket) {
      logger.error('ssh connection from no known socket; closing', { src: addressText(info.ip, info.port) });
      client.end();
      return;
    }
    handshaken.add(socket);
    clients.add(client);
    client.on('close', forgetClient);
    handleConnection(connectionDeps, sessions, client, {
      ip: plainIp(info.ip), port: info.port, src: addressText(info.ip, info.port),
      localAddress: plainIp(socket.localAddress) || 'gateway', localPort: socket.localPort ?? 2222,
    }, {
      onAuthenticated: () => {
        slots.get(socket)?.authenticated();
        destroyWhenSilent(client, socket, ms(settings.ssh.keepaliveInterval), abandoned);
      },
    });
  });
  ssh.on('error', (error: Error) => logger.warn('ssh server error', { error }));

  const bans = new BanGuard(deps);
  /** One for every connection (each would otherwise keep its own copy). */
  const connectionDeps = { ...deps, bans };
  const knock = settings.knock.enabled
    ? new KnockGate({ sequence: settings.knock.sequence, windowMs: ms(settings.knock.window), openForMs: ms(settings.knock.openFor) }, logger)
    : null;
  const openFiles = readOpenFilesLimit();
  const descriptors = openFiles && Number.isFinite(openFiles.soft) ? new DescriptorReserve(openFiles.soft, logger) : null;
  const admission = new Admission({ ...deps, bans }, knock, descriptors);
  const slots = new WeakMap<Socket, PreAuthSlot>();
  /** Sockets whose client sent an SSH version line; the others end without an SSH connection to log them. */
  const handshaken = new WeakSet<Socket>();
  const abandoned = (socket: Socket, why: string) => logger.info('closing an abandoned connection', { src: addressText(socket.remoteAddress, socket.remotePort), why });
  // One of each for all connections: a closure per connection would live as long as it.
  function forgetClient(this: Connection): void {
    clients.delete(this);
  }
  function onAcceptedClose(this: Socket): void {
    sockets.delete(this);
    if (!handshaken.has(this)) logConnection(logger, { src: addressText(this.remoteAddress, this.remotePort), outcome: 'closed before the SSH handshake' });
  }

  const trustedProxies = settings.ssh.proxyProtocol.trustedProxies;
  let awaitingHeader = 0;
  const onSocket = async (socket: Socket) => {
    socket.on('error', destroyOnError);
    if (trustedProxies.length > 0 && addressInAny(plainIp(socket.remoteAddress), trustedProxies)) {
      const proxy = addressText(socket.remoteAddress, socket.remotePort);
      // Not yet counted by admission (whose counts need the client's address): bounded here.
      if (awaitingHeader >= settings.ssh.maxStartups.total) {
        logger.warn('connection from a trusted proxy refused', { proxy, why: `${awaitingHeader} connections already wait for their PROXY header (ssh.maxStartups.total)` });
        socket.destroy();
        return;
      }
      awaitingHeader += 1;
      const header = await takeProxyHeader(socket, Math.min(PROXY_HEADER_WAIT_MS, ms(settings.ssh.loginGraceTime))).finally(() => { awaitingHeader -= 1; });
      if (header.kind !== 'proxied') {
        // LOCAL is the proxy's own health check: it connects, sends the header and leaves.
        if (header.kind === 'local') logger.debug('proxy health check', { proxy });
        else logger.warn('connection from a trusted proxy refused', { proxy, why: header.why });
        socket.destroy();
        return;
      }
      adoptClientAddress(socket, header.ip, header.port);
    }
    const refusal = await admission.refusal(socket).catch((): Refusal => ({ why: 'error' }));
    const src = addressText(socket.remoteAddress, socket.remotePort);
    if (refusal) {
      // Closed before the banner: a refused client learns nothing about the gateway, except a
      // banned one, which is told why (RFC 4253 §4.2 allows lines before the version).
      // A shortage of descriptors is logged by the reserve when it begins and ends.
      if (refusal.why === 'descriptors') logger.debug('connection closed before the banner', { src, why: refusal.why });
      else logConnection(logger, { src, outcome: 'refused before the banner', why: refusal.why, ...banDetails(refusal.ban) });
      if (refusal.ban) return tellBanned(socket, refusal.ban);
      socket.destroy();
      return;
    }
    if (socket.destroyed) return;
    slots.set(socket, admission.admit(socket));
    sockets.add(socket);
    socket.on('close', onAcceptedClose);
    destroyAfterEnd(socket, abandoned);
    socket.setNoDelay(true);
    // Paused, so this listener does not start the flow before ssh2 listens too.
    socket.pause();
    let first = true;
    const noteSpeaking = (chunk: Buffer) => {
      // Not needed once ssh2 has announced the connection: a session keeps no listener for nothing.
      if (handshaken.has(socket)) {
        socket.removeListener('data', noteSpeaking);
        return;
      }
      speaking = socket;
      // SPEC §10: only a trusted proxy may say where a connection comes from.
      if (first && looksLikeProxyHeader(chunk)) {
        logger.warn('a PROXY header from an address not in ssh.proxyProtocol.trustedProxies; closed', { src: addressText(socket.remoteAddress, socket.remotePort) });
        socket.destroy();
      }
      first = false;
    };
    socket.on('data', noteSpeaking);
    ssh.injectSocket(socket);
  };

  // `jumpgate sessions kill` may run in another process (or on another node): look for
  // requests about the sessions this process holds.
  const killPoll = setInterval(() => {
    if (sessions.all().length === 0) return;
    background(logger, 'kill request poll', deps.stores.sessions.killRequests(deps.node).then((ids) => {
      for (const id of ids) sessions.get(id)?.stop('killed');
    }));
  }, 1000);
  killPoll.unref();

  const listeners: NetServer[] = [];
  return {
    sessions,
    bans,
    async listen(addresses) {
      const bound: string[] = [];
      for (const text of addresses) {
        const { host, port } = splitHostPort(text);
        const server = createServer({ noDelay: true }, (socket) => background(logger, 'admitting a connection', onSocket(socket)));
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host, port }, () => { server.removeListener('error', reject); resolve(); });
        });
        server.on('error', (error) => logger.error('listener error', { error }));
        listeners.push(server);
        const address = server.address();
        bound.push(typeof address === 'object' && address ? addressText(address.address, address.port) : text);
      }
      await knock?.listen(addresses.map((a) => splitHostPort(a).host));
      // For commands run beside the gateway (ssh-config): where it really listens.
      try {
        writeListening(deps.dataDir, bound);
      } catch (error) {
        logger.warn('cannot note the listen addresses in the data dir; ssh-config falls back to ssh.listen', { error });
      }
      return bound;
    },
    async close(reason = 'shutdown') {
      clearInterval(killPoll);
      if (listeners.length > 0) removeListening(deps.dataDir);
      for (const server of listeners) server.close();
      knock?.close();
      await sessions.stopAll(reason);
      for (const client of clients) client.end();
      for (const socket of sockets) socket.destroy();
    },
  };
}
