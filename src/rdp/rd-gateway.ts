/**
 * The RD Gateway listener (SPEC §11): HTTPS (HTTP/1.1 only) on `rdp.listen`, speaking
 * MS-TSGU's HTTP transport. An `RDG_OUT_DATA` request that asks for a websocket upgrade
 * carries the whole tunnel; without the upgrade it is the legacy transport's downstream
 * half, paired with the `RDG_IN_DATA` request that names the same `RDG-Connection-Id`
 * from the same address. Anything else gets a 404 and the connection is closed.
 */
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { LiveSessions } from '../gateway/live-sessions.js';
import { addressText, plainIp } from '../gateway/address-text.js';
import { splitHostPort } from '../gateway/gateway.js';
import { addressInAny } from '../domain/cidr.js';
import { dataPath, ms } from '../config/load-settings.js';
import { background } from '../runtime/background.js';
import { BoundedRecentMap } from '../gateway/bounded-recent-map.js';
import { HttpHeadError, bodyFraming, headerHasToken, parseRequestHead, type RequestHead } from './http-request-head.js';
import { acceptKey } from './websocket-frames.js';
import { LegacyTransport, WebsocketTransport } from './transports.js';
import { TunnelSession, type TunnelDeps } from './tunnel-session.js';

export interface RdGateway {
  /** Resolves with the bound address once listening. */
  listen(address: string): Promise<string>;
  close(): Promise<void>;
}

export type RdGatewayDeps = TunnelDeps & { dataDir: string };

/** Legacy OUT halves waiting for their IN half, at most this many at once. */
const MAX_WAITING_PAIRS = 1000;
/** The connection id is a GUID in braces; anything much longer is not one. */
const MAX_CONNECTION_ID = 64;
/** The seed the legacy OUT response starts with (MS-TSGU §3.3.5.1: the client skips it). */
const SEED_LENGTH = 10;

/** A legacy OUT half: `opened` tells its connection that the tunnel it carries is open. */
interface WaitingOut { socket: TLSSocket; ip: string; src: string; since: number; opened: () => void }

export function createRdGateway(deps: RdGatewayDeps, sessions: LiveSessions): RdGateway {
  const { settings, logger } = deps;
  const tls = settings.rdp.tls;
  const setupMs = ms(settings.ssh.loginGraceTime);
  const waiting = new BoundedRecentMap<WaitingOut>(MAX_WAITING_PAIRS, (out, now) => now - out.since > setupMs);
  const sockets = new Set<TLSSocket>();
  /** Connections whose tunnel is not open yet, in all and per source address (ssh.maxStartups). */
  let unopened = 0;
  const unopenedBySource = new Map<string, number>();

  const server: TlsServer = createTlsServer({
    cert: readTlsFile('rdp.tls.cert', dataPath(deps.dataDir, tls.cert)),
    key: readTlsFile('rdp.tls.key', dataPath(deps.dataDir, tls.key)),
    minVersion: 'TLSv1.2',
    ALPNProtocols: ['http/1.1'],
    handshakeTimeout: setupMs,
  });
  // Connections still in their TLS handshake count too: a flood of them stops at the cap.
  server.maxConnections = settings.ssh.maxConnections;

  server.on('secureConnection', (socket: TLSSocket) => background(logger, 'admitting an RD Gateway connection', admit(socket)));
  server.on('tlsClientError', (error: Error, socket) => {
    logger.debug('rdp gateway TLS handshake failed', { src: addressText(socket.remoteAddress, socket.remotePort), error: error.message });
    socket.destroy();
  });

  async function admit(socket: TLSSocket): Promise<void> {
    socket.on('error', () => socket.destroy());
    const ip = plainIp(socket.remoteAddress);
    const src = addressText(socket.remoteAddress, socket.remotePort);
    if (settings.allowFrom.length > 0 && !addressInAny(ip, settings.allowFrom)) {
      socket.destroy();
      return;
    }
    // A ban that cannot be read is a refusal: the gateway fails closed.
    const banned = await deps.stores.bans.active(ip, new Date()).then((ban) => ban !== null, () => true);
    const { total, perSource } = settings.ssh.maxStartups;
    if (banned || unopened >= total || (unopenedBySource.get(ip) ?? 0) >= perSource || socket.destroyed) {
      logger.debug('rdp gateway connection refused', { src });
      socket.destroy();
      return;
    }
    sockets.add(socket);
    unopened += 1;
    unopenedBySource.set(ip, (unopenedBySource.get(ip) ?? 0) + 1);
    let opened = false;
    /** The tunnel opened, or the connection closed first: either way it stops counting as unopened. */
    const markOpen = () => {
      if (opened) return;
      opened = true;
      unopened -= 1;
      const left = (unopenedBySource.get(ip) ?? 1) - 1;
      if (left > 0) unopenedBySource.set(ip, left);
      else unopenedBySource.delete(ip);
      clearTimeout(deadline);
    };
    // The tunnel must be open within ssh.loginGraceTime, as an SSH login must.
    const deadline = setTimeout(() => socket.destroy(), setupMs);
    socket.on('close', () => {
      sockets.delete(socket);
      markOpen();
    });
    readHead(socket, (head, rest) => route(socket, { ip, src }, head, rest, markOpen));
  }

  /** Reads one request head, then hands the socket over (paused, with what followed the head). */
  function readHead(socket: TLSSocket, then: (head: RequestHead, rest: Buffer) => void): void {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      let parsed;
      try {
        parsed = parseRequestHead(buffered);
      } catch (error) {
        socket.removeListener('data', onData);
        respond(socket, error instanceof HttpHeadError ? error.status : 400, error instanceof Error ? error.message : 'bad request');
        return;
      }
      if (!parsed) return;
      socket.removeListener('data', onData);
      socket.pause();
      then(parsed.head, parsed.rest);
    };
    socket.on('data', onData);
    socket.resume();
  }

  /** `answeredEmptyIn`: this connection already had its one body-less RDG_IN_DATA answered. */
  function route(socket: TLSSocket, client: { ip: string; src: string }, head: RequestHead, rest: Buffer, opened: () => void, answeredEmptyIn = false): void {
    const connectionId = head.headers.get('rdg-connection-id') ?? '';
    if (head.method === 'RDG_OUT_DATA' && headerHasToken(head, 'upgrade', 'websocket')) {
      const key = head.headers.get('sec-websocket-key') ?? '';
      if (!key || key.length > 64 || !headerHasToken(head, 'connection', 'upgrade')) return respond(socket, 400, 'bad websocket upgrade');
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n'
        + `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`);
      const transport = new WebsocketTransport(socket);
      const tunnel = new TunnelSession(deps, sessions, transport, client, opened);
      transport.attach(tunnel, rest);
      socket.resume();
      return;
    }
    if (head.method === 'RDG_OUT_DATA') {
      if (!connectionId || connectionId.length > MAX_CONNECTION_ID) return respond(socket, 400, 'RDG-Connection-Id missing');
      if (waiting.get(connectionId, Date.now())) return respond(socket, 409, 'RDG-Connection-Id in use');
      waiting.set(connectionId, { socket, ...client, since: Date.now(), opened }, Date.now());
      socket.once('close', () => { if (waiting.get(connectionId, Date.now())?.socket === socket) waiting.delete(connectionId); });
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n');
      socket.write(randomBytes(SEED_LENGTH));
      return;
    }
    if (head.method === 'RDG_IN_DATA') {
      const out = waiting.get(connectionId, Date.now());
      // The pair must come from one client: another address cannot join a tunnel by its id.
      if (!out || out.ip !== client.ip || out.socket.destroyed) return respond(socket, 404, 'no RDG_OUT_DATA request with this RDG-Connection-Id');
      let framing;
      try {
        framing = bodyFraming(head);
      } catch (error) {
        return respond(socket, 400, (error as Error).message);
      }
      if (framing.kind === 'length' && framing.length === 0) {
        // FreeRDP first sends the request without a body, then again with the chunked body. Once.
        if (answeredEmptyIn) return respond(socket, 400, 'RDG_IN_DATA without a body, again');
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
        if (rest.length > 0) socket.unshift(rest);
        readHead(socket, (next, after) => route(socket, client, next, after, opened, true));
        return;
      }
      if (framing.kind !== 'chunked') return respond(socket, 400, 'RDG_IN_DATA needs a chunked body');
      waiting.delete(connectionId);
      const transport = new LegacyTransport(out.socket, socket);
      // Both connections of the pair stop counting as unauthenticated once the channel is open.
      const tunnel = new TunnelSession(deps, sessions, transport, client, () => { opened(); out.opened(); });
      out.socket.once('close', () => socket.destroy());
      transport.attach(tunnel, rest);
      socket.resume();
      return;
    }
    respond(socket, 404, 'not an RD Gateway request');
  }

  return {
    async listen(address) {
      const { host, port } = splitHostPort(address);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port }, () => { server.removeListener('error', reject); resolve(); });
      });
      server.on('error', (error) => logger.error('rdp gateway listener error', { error }));
      const bound = server.address();
      return typeof bound === 'object' && bound ? addressText(bound.address, bound.port) : address;
    },
    /** Stops listening and drops the connections left (their sessions were ended by the SSH side's stopAll). */
    async close() {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}

function readTlsFile(setting: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(`${setting}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}); jumpgate init writes a self-signed pair`, { cause: error });
  }
}

function respond(socket: TLSSocket, status: number, reason: string): void {
  const text = { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 431: 'Request Header Fields Too Large', 505: 'HTTP Version Not Supported' }[status] ?? 'Error';
  const body = `jumpgate RD Gateway: ${reason}\n`;
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
