/** Wires the HTTP API to the runtime for `serve` (the composition of src/http). */
import { createApiHandler } from './api/api-handler.js';
import { API_ROUTES } from './api/api-routes.js';
import { ConsoleSessions } from './api/console-sessions.js';
import { terminalUpgrade } from './terminal/terminal-upgrade.js';
import type { TerminalDeps } from './terminal/web-terminal.js';
import type { Runtime } from '../main.js';
import { createUpstream } from '../main.js';
import type { BanGuard } from '../gateway/ban-guard.js';
import type { Settings } from '../config/settings-schema.js';
import { dataPath, ms } from '../config/load-settings.js';
import { createOidcSignIn } from './oidc-sign-in.js';

/** The API's request handler and its WebSocket routes (the web terminal), sharing the sign-ins. */
export function consoleApi(runtime: Runtime, options: { bans: BanGuard; secure: boolean; terminal: Omit<TerminalDeps, 'bans'> }) {
  const { settings } = runtime;
  // A console sign-in lasts as an SSH session may: idle and absolute limits of `sessions`.
  const sessions = new ConsoleSessions({ idleMs: ms(settings.sessions.idleTimeout), maxMs: ms(settings.sessions.maxSessionDuration) });
  const deps = { runtime, newUpstream: () => createUpstream(runtime), bans: options.bans, sessions, secure: options.secure };
  const api = Object.assign(createApiHandler(API_ROUTES, deps), { signOn: createOidcSignIn(deps) });
  // `/auth/…` is single sign-on (it shares the console's sessions); every other path the API handler answers.
  return { api, terminal: terminalUpgrade(deps, { ...options.terminal, bans: options.bans }) };
}

/** The certificate and key files of `http.tls` (relative to the data dir), or null for plain HTTP. */
export interface HttpTls { cert: string; key: string }

export function httpTls(tls: Settings['http']['tls'], dataDir: string): HttpTls | null {
  return tls.cert && tls.key ? { cert: dataPath(dataDir, tls.cert), key: dataPath(dataDir, tls.key) } : null;
}
