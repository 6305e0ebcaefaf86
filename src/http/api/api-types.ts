/** The shapes every route shares: what it is given, and what it answers. */
import type { Readable } from 'node:stream';
import type { Runtime } from '../../main.js';
import type { UpstreamPool } from '../../upstream/upstream-pool.js';
import type { BanGuard } from '../../gateway/ban-guard.js';
import type { ConsoleSessions } from './console-sessions.js';
import type { Need, Principal } from './principal.js';

export interface ApiDeps {
  runtime: Pick<Runtime, 'dataDir' | 'settings' | 'stores' | 'audit' | 'logger' | 'node' | 'vault'>;
  /** A fresh pool for each target test, so every hop is really dialled. */
  newUpstream: () => UpstreamPool;
  /** The gateway's ban counter: console sign-in failures count with SSH ones. */
  bans: BanGuard;
  sessions: ConsoleSessions;
  /** Served over HTTPS: cookies are Secure. */
  secure: boolean;
}

export interface ApiRequest {
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body (checked by each route's schema). */
  body: unknown;
  /** Null only on routes that need `anyone`. */
  principal: Principal | null;
  ip: string;
  /** `ip:port`, for audit events. */
  src: string;
}

export type ApiReply =
  | { status: number; json: unknown; headers?: Record<string, string> }
  | { status: number; stream: Readable; contentType: string; headers?: Record<string, string> };

export interface Route {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** `/api/v1/targets/:name/test`: `:x` matches one path segment. */
  path: string;
  need: Need;
  handle(request: ApiRequest & { principal: Principal }, deps: ApiDeps): Promise<ApiReply>;
}

/** A signed-in principal is guaranteed except on `anyone` routes, which type it themselves. */
export type PublicRoute = Omit<Route, 'handle' | 'need'> & { need: 'anyone'; handle(request: ApiRequest, deps: ApiDeps): Promise<ApiReply> };

export const json = (status: number, value: unknown, headers?: Record<string, string>): ApiReply => ({ status, json: value, headers });
