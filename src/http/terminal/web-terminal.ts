/**
 * The web terminal (SPEC §2.5): a proxied shell session, exactly as `ssh alice+db1@gate`
 * opens one (startProxied: policy, login, recording, command audit, limits, kill, events),
 * with the WebSocket as the client side and `kind: web`. A rule with `mfa: true` asks the
 * page for a TOTP code first.
 */
import type { Client, PseudoTtyInfo } from 'ssh2';
import { randomBytes } from 'node:crypto';
import type { GatewayDeps } from '../../gateway/gateway-deps.js';
import type { LiveSessions } from '../../gateway/live-sessions.js';
import type { BanGuard } from '../../gateway/ban-guard.js';
import type { Requester } from '../../gateway/access-check.js';
import { startProxied, type ProxiedConnection } from '../../gateway/proxied-session.js';
import { checkSessionAccess } from '../../gateway/session-access.js';
import { auditUpstreamFailure } from '../../gateway/direct-tcpip-channel.js';
import { ms } from '../../config/load-settings.js';
import { askTotp } from './totp-step.js';
import type { WebSocketSide } from './websocket-side.js';

export interface TerminalDeps {
  gateway: GatewayDeps;
  sessions: LiveSessions;
  bans: BanGuard;
}

export interface TerminalRequest {
  user: string;
  ip: string;
  src: string;
  target: string;
  login: string | null;
  cols: number;
  rows: number;
}

export const TERMINAL_TYPE = 'xterm-256color';

export async function runWebTerminal(deps: TerminalDeps, side: WebSocketSide, asked: TerminalRequest): Promise<void> {
  const { gateway } = deps;
  const who: Requester = { userName: asked.user, ip: asked.ip, mfaVerified: await secondFactorPassed(deps, side, asked) };
  if (side.destroyed) return;
  const upstreams: Client[] = [];
  const context: ProxiedConnection = {
    deps: gateway, sessions: deps.sessions, who, src: asked.src, via: 'web',
    // The browser has no agent to forward.
    offerAgent: () => {},
    registered: (id, joinable) => side.tell({ type: 'session', id, joinable }),
    async upstream(target, login, grants) {
      const sessionLogin = { user: asked.user, src: asked.src, connection: randomBytes(4).toString('hex'), agent: null, ...grants };
      const { client } = await gateway.upstream.openSession(target, login, sessionLogin, (failed, failure) => auditUpstreamFailure(gateway, asked.user, asked.src, failed.name, failure));
      upstreams.push(client);
      return client;
    },
  };
  const pty: PseudoTtyInfo = { term: TERMINAL_TYPE, cols: asked.cols, rows: asked.rows, width: 0, height: 0, modes: {} };
  try {
    const relay = await startProxied(context, side, { kind: 'shell' }, asked.target, asked.login, pty, {});
    if (!relay) {
      side.finish({ reason: 'refused', exitStatus: side.exitStatus });
      return;
    }
    side.onControl((message) => {
      const size = windowSize(message);
      if (size) relay.resize(size.cols, size.rows, 0, 0);
    });
    const result = await relay.done;
    side.finish({ reason: result.reason, exitStatus: result.exitStatus });
  } catch (error) {
    side.abort();
    throw error;
  } finally {
    for (const client of upstreams) client.end();
  }
}

/**
 * Whether the person passed a TOTP code in this terminal. Asked only when the session
 * needs one: the rule that grants it says `mfa: true` and no rule grants it without.
 */
async function secondFactorPassed(deps: TerminalDeps, side: WebSocketSide, asked: TerminalRequest): Promise<boolean> {
  const check = (mfaVerified: boolean) => checkSessionAccess(deps.gateway, { userName: asked.user, ip: asked.ip, mfaVerified }, asked.target, asked.login, 'session');
  if ((await check(false)).allowed || !(await check(true)).allowed) return false;
  const passed = await askTotp({ deps: deps.gateway, bans: deps.bans, user: asked.user, ip: asked.ip, src: asked.src }, side, ms(deps.gateway.settings.ssh.loginGraceTime) * 4);
  if (!passed && !side.destroyed) side.stderr.write('jumpgate: no valid verification code; the session does not open\r\n');
  return passed;
}

/** `{type: 'resize', cols, rows}` within what a terminal can be, or null. */
export function windowSize(message: Record<string, unknown>): { cols: number; rows: number } | null {
  if (message.type !== 'resize') return null;
  const { cols, rows } = message;
  if (!isDimension(cols) || !isDimension(rows)) return null;
  return { cols, rows };
}

export function isDimension(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 1000;
}
