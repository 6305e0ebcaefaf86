/**
 * The WebSocket routes of the console's listener (docs/web-terminal.md):
 *   GET /api/v1/terminal?target=NAME[&login=LOGIN][&cols=C&rows=R]  a web terminal
 *   GET /api/v1/sessions/ID/watch                                   watch a live shell (admin: read)
 *   GET /api/v1/sessions/ID/join                                    join one (a rule with join: true)
 * Each is checked before the upgrade: the address is not banned, the Origin is the console's
 * own, and the console's session cookie names a person (API tokens are not taken: a
 * terminal is a person's). A refusal is a plain HTTP answer (401, 403, 404, 409).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { addressText, plainIp } from '../../gateway/address-text.js';
import { consoleOrigin, personOf } from '../api/api-handler.js';
import { allows } from '../api/principal.js';
import type { ApiDeps } from '../api/api-types.js';
import { checkSessionAccess } from '../../gateway/session-access.js';
import { LOGIN_NAME, RESOURCE_NAME } from '../../domain/resources.js';
import { background } from '../../runtime/background.js';
import { runWebTerminal, isDimension, type TerminalDeps } from './web-terminal.js';
import { viewSession } from './watch-session.js';
import { WebSocketSide } from './websocket-side.js';

/** A browser that answers no ping for this long is gone (a laptop closed, a network lost): its socket is closed. */
export const HEARTBEAT_MS = 30_000;

/** The largest frame a browser may send: keys, a paste, a resize. */
export const MAX_FRAME_BYTES = 64 * 1024;

class Refusal extends Error {
  constructor(readonly status: 401 | 403 | 404 | 409, message: string) {
    super(message);
  }
}

const STATUS_TEXT = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict' } as const;

export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => void;

export interface TerminalSockets {
  upgrade: UpgradeHandler;
  /** Closes every WebSocket still open (shutdown: the sessions have ended by then). */
  closeAll(): void;
}

export function terminalUpgrade(api: Pick<ApiDeps, 'runtime' | 'sessions' | 'secure'>, deps: TerminalDeps): TerminalSockets {
  const server = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  const { logger } = api.runtime;

  async function accept(request: IncomingMessage, url: URL): Promise<(socket: WebSocket) => Promise<void>> {
    const ip = plainIp(request.socket.remoteAddress);
    const src = addressText(request.socket.remoteAddress, request.socket.remotePort);
    const ban = await api.runtime.stores.bans.active(ip, new Date());
    if (ban) throw new Refusal(403, `${ip} is banned until ${ban.until}`);
    // A page of another origin can open a WebSocket with the person's cookie: only the Origin tells.
    const origin = request.headers.origin;
    if (origin !== consoleOrigin(request, api.secure)) throw new Refusal(403, `WebSockets from ${origin ?? 'no origin'} are not accepted`);
    const person = await personOf(api, request, ip);
    if (!person) throw new Refusal(401, 'sign in to the console first');

    if (url.pathname === '/api/v1/terminal') {
      const target = url.searchParams.get('target');
      const login = url.searchParams.get('login') || null;
      // A link can name anything; only names a target or login could have reach the terminal's text.
      if (!target || !RESOURCE_NAME.test(target)) throw new Refusal(404, 'name a target: /api/v1/terminal?target=NAME');
      if (login !== null && !LOGIN_NAME.test(login)) throw new Refusal(404, 'login must be a plain user name');
      const cols = Number(url.searchParams.get('cols') ?? 80);
      const rows = Number(url.searchParams.get('rows') ?? 24);
      const asked = { user: person.user, ip, src, target, login, cols: isDimension(cols) ? cols : 80, rows: isDimension(rows) ? rows : 24 };
      return (socket) => runWebTerminal(deps, new WebSocketSide(socket), asked);
    }
    const match = /^\/api\/v1\/sessions\/([0-9a-f]{1,64})\/(watch|join)$/.exec(url.pathname);
    if (!match) throw new Refusal(404, `no WebSocket route ${url.pathname}`);
    const [, id, role] = match;
    if (role === 'watch' && !allows(person, 'read')) throw new Refusal(403, 'watching a session needs admin: read');
    const session = deps.sessions.get(id);
    if (!session) throw new Refusal(404, `no live session ${id} on this gateway process (a session is watched through the node that relays it)`);
    const screen = session.screen;
    if (!screen) throw new Refusal(409, `session ${id} is not a terminal (only proxied shells can be watched or joined)`);
    if (role === 'join') {
      if (!screen.rules.join) throw new Refusal(403, `the rule of session ${id} does not allow joining (join: true)`);
      if (screen.owner.user === person.user) throw new Refusal(409, 'this is your own session');
      // A joiner types on the target: they must be allowed that target and login themselves.
      const access = await checkSessionAccess(deps.gateway, { userName: person.user, ip, mfaVerified: false }, screen.owner.target, screen.owner.login, 'session');
      if (!access.allowed) {
        const { target, login } = screen.owner;
        deps.gateway.audit.note({ type: 'access.denied', user: person.user, src, access: 'join', target, destination: `${login}@${target}`, login, reason: access.reason });
        throw new Refusal(403, access.message.replace(/^jumpgate: /, ''));
      }
    }
    const viewed = { ...session, screen };
    return (socket) => viewSession({ deps: deps.gateway, session: viewed, user: person.user, src, role: role === 'join' ? 'join' : 'watch' }, socket);
  }

  const upgrade: UpgradeHandler = (request, socket, head, url) => {
    socket.on('error', () => socket.destroy());
    accept(request, url).then((run) => {
      server.handleUpgrade(request, socket, head, (ws) => {
        keepAlive(ws);
        background(logger, 'web terminal', run(ws));
      });
    }, (error: unknown) => {
      if (!(error instanceof Refusal)) logger.error('websocket upgrade failed', { error });
      const status = error instanceof Refusal ? error.status : 403;
      const body = JSON.stringify({ error: `jumpgate: ${error instanceof Refusal ? error.message : 'internal error'}` });
      socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    });
  };
  return { upgrade, closeAll: () => { for (const client of server.clients) client.terminate(); } };
}

/** Pings the browser; one that has not answered the last ping by the next is cut off. */
function keepAlive(socket: WebSocket): void {
  let answered = true;
  socket.on('pong', () => { answered = true; });
  const timer = setInterval(() => {
    if (!answered) {
      socket.terminate();
      return;
    }
    answered = false;
    socket.ping();
  }, HEARTBEAT_MS);
  timer.unref();
  socket.once('close', () => clearInterval(timer));
}
