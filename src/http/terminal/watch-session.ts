/**
 * Watching (read-only, `admin: read`) and joining (`join: true` rules) a live proxied shell
 * of this gateway process from the web console (SPEC §9). The viewer gets what the target
 * printed so far, then the rest live; a joiner's keys go to the target too. Both are audited
 * (`session.watch`, `session.join`) before anything is shown: no event, no view.
 */
import WebSocket from 'ws';
import type { GatewayDeps } from '../../gateway/gateway-deps.js';
import type { LiveSession } from '../../gateway/live-sessions.js';
import { SCREEN_BACKLOG_BYTES, type SessionScreen, type ViewerRole } from '../../gateway/session-screen.js';

/** A viewer whose WebSocket holds more than this unsent is too slow and is dropped. */
export const VIEWER_MAX_BUFFERED_BYTES = SCREEN_BACKLOG_BYTES + 1024 * 1024;
/** Bounds a joiner's keys in flight to the target. */
const JOIN_INPUT_MAX_BYTES = 64 * 1024;

export interface Viewing {
  deps: Pick<GatewayDeps, 'audit' | 'logger'>;
  session: LiveSession & { screen: SessionScreen };
  user: string;
  src: string;
  role: ViewerRole;
}

export async function viewSession(viewing: Viewing, socket: WebSocket): Promise<void> {
  const { deps, session, user, src, role } = viewing;
  const screen = session.screen;
  const send = (message: Record<string, unknown>) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  };
  const close = (reason: string) => {
    send({ type: 'end', reason });
    if (socket.readyState === WebSocket.OPEN) socket.close(1000);
  };
  try {
    await deps.audit.record({ type: role === 'watch' ? 'session.watch' : 'session.join', user, src, session: session.record.id, owner: screen.owner.user, target: screen.owner.target });
  } catch {
    return close('the gateway cannot write its audit trail');
  }
  if (socket.readyState !== WebSocket.OPEN) return;
  const attached = screen.attach({
    output: (data) => {
      if (socket.readyState !== WebSocket.OPEN) return true;
      socket.send(data, { binary: true });
      return socket.bufferedAmount <= VIEWER_MAX_BUFFERED_BYTES;
    },
    resize: (cols, rows) => send({ type: 'size', cols, rows }),
    end: (reason) => close(reason),
  }, role);
  if ('refused' in attached) return close(attached.refused);
  if (role === 'join') screen.tellUser(`jumpgate: ${user} joined this session`);
  else if (screen.rules.notifyWatch) screen.tellUser(`jumpgate: ${user} is watching this session`);
  socket.on('close', () => attached.detach());
  socket.on('error', () => socket.terminate());
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    // Watching is read-only: only a joiner's keys reach the target.
    if (role !== 'join' || !isBinary || !screen.input) return;
    if (data.length > JOIN_INPUT_MAX_BYTES) return;
    screen.input(data);
  });
}
