/**
 * The HTTP API under `/api/v1/` (SPEC §9): finds the route, refuses banned addresses,
 * works out who calls (cookie session or bearer token), checks their admin level and, for
 * a state change made with the cookie, the CSRF token; reads the JSON body; answers JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { addressText, plainIp } from '../../gateway/address-text.js';
import { ApiError, errorReply } from './api-error.js';
import { csrfMatches } from './console-sessions.js';
import { adminLevelOf, allows, type Principal } from './principal.js';
import type { ApiDeps, ApiReply, ApiRequest, PublicRoute, Route } from './api-types.js';
import { looksLikeApiToken, hashApiToken } from '../../auth/api-tokens.js';
import { addressInAny } from '../../domain/cidr.js';
import { rolesOf } from '../../policy/effective-roles.js';

export const SESSION_COOKIE = 'jumpgate_session';
/** Resource documents are small; a bigger body is refused before it is read. */
export const MAX_BODY_BYTES = 256 * 1024;

type AnyRoute = Route | PublicRoute;
interface Matched { route: AnyRoute; params: Record<string, string> }

export function createApiHandler(routes: readonly AnyRoute[], deps: ApiDeps) {
  const compiled = routes.map((route) => ({ route, segments: route.path.split('/') }));

  function match(method: string, pathname: string): Matched | 'no-method' | null {
    const parts = pathname.split('/');
    let pathMatched = false;
    for (const { route, segments } of compiled) {
      if (segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const fits = segments.every((segment, i) => {
        if (!segment.startsWith(':')) return segment === parts[i];
        if (parts[i] === '') return false;
        params[segment.slice(1)] = decodeURIComponent(parts[i]);
        return true;
      });
      if (!fits) continue;
      pathMatched = true;
      if (route.method === method) return { route, params };
    }
    return pathMatched ? 'no-method' : null;
  }

  async function principalOf(request: IncomingMessage, ip: string, src: string): Promise<Principal | null> {
    const { stores } = deps.runtime;
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const bearer = /^Bearer (\S+)$/i.exec(authorization)?.[1];
      const token = bearer && looksLikeApiToken(bearer) ? await stores.tokens.byHash(hashApiToken(bearer)) : null;
      if (!token || (token.expiresAt !== null && Date.parse(token.expiresAt) <= Date.now())) {
        // Guessing tokens is guessing passwords: audited, and counted toward the address's ban.
        deps.runtime.audit.note({ type: 'console.login', user: null, src, outcome: 'failure', method: 'token', reason: token ? 'API token expired' : 'unknown API token' });
        await deps.bans.failure(ip, null, src);
        throw new ApiError(401, 'invalid or expired API token');
      }
      return { kind: 'token', name: token.name, admin: token.admin };
    }
    return personOf(deps, request, ip);
  }

  function authorize(route: AnyRoute, principal: Principal | null, request: IncomingMessage): void {
    if (route.need !== 'anyone') {
      if (!principal) throw new ApiError(401, 'sign in first (or send Authorization: Bearer TOKEN)');
      if (route.need === 'person' && principal.kind !== 'person') throw new ApiError(403, 'this route is for people signed in to the console, not API tokens');
      if ((route.need === 'read' || route.need === 'write') && !allows(principal, route.need)) {
        throw new ApiError(403, `needs admin: ${route.need} (a role with admin: ${route.need}${route.need === 'read' ? ' or write' : ''})`);
      }
    }
    if (request.method === 'GET' || request.method === 'HEAD') return;
    // A page of another origin may make the browser send the cookie; it cannot read the CSRF token.
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== expectedOrigin(request)) throw new ApiError(403, `requests from ${origin} are not accepted`);
    if (principal?.kind === 'person' && !csrfMatches(principal.session.csrf, single(request.headers['x-csrf-token']))) {
      throw new ApiError(403, 'missing or wrong X-CSRF-Token (it is returned at sign-in)');
    }
  }

  function expectedOrigin(request: IncomingMessage): string {
    return consoleOrigin(request, deps.secure);
  }

  async function reply(request: IncomingMessage, url: URL): Promise<ApiReply> {
    const matched = match(request.method ?? 'GET', url.pathname);
    if (matched === null) throw new ApiError(404, `no API route ${url.pathname}`);
    if (matched === 'no-method') throw new ApiError(405, `${request.method} is not allowed on ${url.pathname}`);
    const ip = plainIp(request.socket.remoteAddress);
    const src = addressText(request.socket.remoteAddress, request.socket.remotePort);
    const ban = await deps.runtime.stores.bans.active(ip, new Date());
    if (ban) throw new ApiError(403, `${ip} is banned until ${ban.until} (an operator can lift it: jumpgate unban ${ip})`);
    const principal = await principalOf(request, ip, src);
    authorize(matched.route, principal, request);
    const body = await readJsonBody(request);
    const apiRequest: ApiRequest = { method: request.method ?? 'GET', params: matched.params, query: url.searchParams, body, principal, ip, src };
    return (matched.route as PublicRoute).handle(apiRequest, deps);
  }

  return async function handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    let answer: ApiReply;
    try {
      answer = await reply(request, url);
    } catch (error) {
      const { status, body } = errorReply(error instanceof URIError ? new ApiError(400, 'the path is not valid percent-encoding') : error, deps.runtime.logger);
      answer = { status, json: body };
    }
    const headers = { 'cache-control': 'no-store', ...answer.headers };
    if ('json' in answer) {
      response.writeHead(answer.status, { ...headers, 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(answer.json));
      return;
    }
    response.writeHead(answer.status, { ...headers, 'content-type': answer.contentType });
    answer.stream.on('error', () => response.destroy());
    answer.stream.pipe(response);
  };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The signed-in person of the request's session cookie (the API and the terminal's WebSockets), or null. */
export async function personOf(deps: Pick<ApiDeps, 'runtime' | 'sessions'>, request: IncomingMessage, ip: string): Promise<Extract<Principal, { kind: 'person' }> | null> {
  const { stores } = deps.runtime;
  const cookie = cookieValue(request.headers.cookie, SESSION_COOKIE);
  const session = cookie ? deps.sessions.touch(cookie) : null;
  if (!session) return null;
  const user = await stores.users.get(session.user);
  if (!user || user.disabled) {
    deps.sessions.endUser(session.user);
    return null;
  }
  // A user kept to some source addresses is kept to them for every request, not only at sign-in.
  if (user.sourceCidrs.length > 0 && !addressInAny(ip, user.sourceCidrs)) return null;
  const roles = await rolesOf(stores, user);
  return { kind: 'person', user: user.name, admin: adminLevelOf(roles), session };
}

/** The origin a page of this console has: a request from any other is refused. */
export function consoleOrigin(request: IncomingMessage, secure: boolean): string {
  return `${secure ? 'https' : 'http'}://${request.headers.host ?? ''}`;
}

export function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}

/** The JSON body of a PUT or POST; null when there is none. */
async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'DELETE') {
    request.resume();
    return null;
  }
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new ApiError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return null;
  if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) throw new ApiError(415, 'send JSON with Content-Type: application/json');
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new ApiError(400, 'the body is not valid JSON');
  }
}
