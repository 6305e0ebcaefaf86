/**
 * The SSH listener. We own the TCP listener and hand sockets to ssh2 (`injectSocket`), so
 * connection caps are applied before any SSH byte is spent on a connection.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection } from 'ssh2';
import type { GatewayDeps } from './gateway-deps.js';
import { LiveSessions } from './live-sessions.js';
import { handleConnection } from './connection.js';
import { gatewayAlgorithms } from './algorithms.js';
import { addressText, plainIp } from './address-text.js';
import { ms } from '../config/load-settings.js';
import { BanGuard } from './ban-guard.js';
import { KnockGate } from './port-knock.js';
import { Admission, type PreAuthSlot } from './admission.js';
import { DescriptorReserve } from './descriptor-reserve.js';
import { readOpenFilesLimit } from '../runtime/open-files.js';
import { background } from '../runtime/background.js';
import { destroyAfterEnd, destroyWhenSilent } from './abandoned-socket.js';

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
    clients.add(client);
    client.on('close', () => clients.delete(client));
    handleConnection({ ...deps, bans }, sessions, client, {
      ip: plainIp(info.ip), port: info.port, src: addressText(info.ip, info.port),
      localAddress: plainIp(socket.localAddress) || 'gateway', localPort: socket.localPort ?? 2222,
    }, {
      onAuthenticated: () => {
        slots.get(socket)?.authenticated();
        destroyWhenSilent(socket, ms(settings.ssh.keepaliveInterval), abandoned(socket));
      },
    });
  });
  ssh.on('error', (error: Error) => logger.warn('ssh server error', { error }));

  const bans = new BanGuard(deps);
  const knock = settings.knock.enabled
    ? new KnockGate({ sequence: settings.knock.sequence, windowMs: ms(settings.knock.window), openForMs: ms(settings.knock.openFor) }, logger)
    : null;
  const openFiles = readOpenFilesLimit();
  const descriptors = openFiles && Number.isFinite(openFiles.soft) ? new DescriptorReserve(openFiles.soft, logger) : null;
  const admission = new Admission({ ...deps, bans }, knock, descriptors);
  const slots = new WeakMap<Socket, PreAuthSlot>();
  const abandoned = (socket: Socket) => (why: string) => logger.info('closing an abandoned connection', { src: addressText(socket.remoteAddress, socket.remotePort), why });

  const onSocket = async (socket: Socket) => {
    socket.on('error', () => socket.destroy());
    const refusal = await admission.refusal(socket).catch(() => 'error');
    if (refusal) {
      // Closed before the banner: a refused client learns nothing about the gateway.
      // A shortage of descriptors is logged by the reserve when it begins and ends.
      logger.debug('connection closed before the banner', { src: addressText(socket.remoteAddress, socket.remotePort), why: refusal });
      socket.destroy();
      return;
    }
    if (socket.destroyed) return;
    slots.set(socket, admission.admit(socket));
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    destroyAfterEnd(socket, abandoned(socket));
    socket.setNoDelay(true);
    // Paused, so this listener does not start the flow before ssh2 listens too.
    socket.pause();
    socket.on('data', () => { speaking = socket; });
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
      return bound;
    },
    async close(reason = 'shutdown') {
      clearInterval(killPoll);
      for (const server of listeners) server.close();
      knock?.close();
      await sessions.stopAll(reason);
      for (const client of clients) client.end();
      for (const socket of sockets) socket.destroy();
    },
  };
}
