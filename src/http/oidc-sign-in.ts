/**
 * Single sign-on for the console (SPEC §12): `GET /auth/oidc/login` sends the browser to
 * the OpenID Connect provider (authorization code + PKCE, with `state` and `nonce`), and
 * `GET /auth/oidc/callback` (`<http.publicUrl>/auth/oidc/callback`, the redirect URI
 * registered at the provider) takes the code, checks state, nonce and the ID token with
 * openid-client, makes or refreshes the user (sso-user.ts) and opens a console session.
 * What the callback must check is kept in this process under a random cookie, for 10
 * minutes, at most MAX_PENDING at once (like console sessions, a sign-in ends on the node
 * it started on).
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as oidc from 'openid-client';
import type { ApiDeps } from './api/api-types.js';
import { cookieValue, SESSION_COOKIE } from './api/api-handler.js';
import { addressText, plainIp } from '../gateway/address-text.js';
import { BoundedRecentMap } from '../gateway/bounded-recent-map.js';
import { dataPath } from '../config/load-settings.js';
import { consoleUrl } from '../identity/approval-codes.js';
import { ssoUser } from '../identity/sso-user.js';
import { AuditUnavailable } from '../audit/audit-log.js';

const PENDING_COOKIE = 'jumpgate_oidc';
const PENDING_MS = 10 * 60_000;
export const MAX_PENDING = 10_000;
export const CALLBACK_PATH = '/auth/oidc/callback';

interface Pending { state: string; nonce: string; verifier: string; next: string; createdAt: number }

/** Where to go after signing in: a path of the console only (never another origin). */
function safeNext(text: string | null): string {
  return text && /^\/approve\/[A-Za-z0-9-]{1,16}$/.test(text) ? text : '/';
}

class Refusal extends Error {}

export function createOidcSignIn(deps: ApiDeps) {
  const { settings, dataDir } = deps.runtime;
  const pending = new BoundedRecentMap<Pending>(MAX_PENDING, (entry, now) => now - entry.createdAt >= PENDING_MS);
  let configuration: Promise<oidc.Configuration> | null = null;

  function config(): Promise<oidc.Configuration> {
    const settingsOidc = settings.identity.oidc!;
    configuration ??= (async () => {
      const secret = settingsOidc.clientSecretFile ? readFileSync(dataPath(dataDir, settingsOidc.clientSecretFile), 'utf8').trim() : undefined;
      return secret
        ? oidc.discovery(new URL(settingsOidc.issuer), settingsOidc.clientId, secret)
        : oidc.discovery(new URL(settingsOidc.issuer), settingsOidc.clientId, undefined, oidc.None());
    })();
    // A provider that was down is asked again by the next sign-in.
    configuration.catch(() => { configuration = null; });
    return configuration;
  }

  const redirectUri = () => `${consoleUrl(settings)}${CALLBACK_PATH}`;

  function cookie(name: string, value: string, path: string, sameSite: 'Lax' | 'Strict', maxAgeSeconds?: number): string {
    return [`${name}=${value}`, `Path=${path}`, 'HttpOnly', `SameSite=${sameSite}`, ...(deps.secure ? ['Secure'] : []),
      ...(maxAgeSeconds !== undefined ? [`Max-Age=${maxAgeSeconds}`] : [])].join('; ');
  }

  function refuse(response: ServerResponse, status: number, message: string, extraHeaders: Record<string, string | string[]> = {}): void {
    response.writeHead(status, { ...extraHeaders, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
      .end(`jumpgate: ${message}\n`);
  }

  async function start(response: ServerResponse, url: URL): Promise<void> {
    const settingsOidc = settings.identity.oidc!;
    let configured: oidc.Configuration;
    try {
      configured = await config();
    } catch (error) {
      deps.runtime.logger.error('the OpenID Connect provider cannot be reached', { issuer: settingsOidc.issuer, error });
      return refuse(response, 502, 'the single sign-on provider cannot be reached; try again, or tell an operator');
    }
    const entry: Pending = {
      state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier(), next: safeNext(url.searchParams.get('next')), createdAt: Date.now(),
    };
    const id = randomBytes(32).toString('base64url');
    pending.set(id, entry, entry.createdAt);
    const target = oidc.buildAuthorizationUrl(configured, {
      redirect_uri: redirectUri(), scope: settingsOidc.scopes.join(' '), state: entry.state, nonce: entry.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(entry.verifier), code_challenge_method: 'S256',
    });
    // Lax: the provider's redirect back is a cross-site navigation, which a Strict cookie would miss.
    response.writeHead(302, { location: target.href, 'set-cookie': cookie(PENDING_COOKIE, id, '/auth/oidc', 'Lax', PENDING_MS / 1000), 'cache-control': 'no-store' }).end();
  }

  async function callback(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const settingsOidc = settings.identity.oidc!;
    const { stores, audit, logger } = deps.runtime;
    const ip = plainIp(request.socket.remoteAddress);
    const src = addressText(request.socket.remoteAddress, request.socket.remotePort);
    const id = cookieValue(request.headers.cookie, PENDING_COOKIE);
    const entry = id ? pending.get(id, Date.now()) : undefined;
    if (id) pending.delete(id);
    const clearPending = cookie(PENDING_COOKIE, '', '/auth/oidc', 'Lax', 0);
    let name: string | null = null;
    try {
      if (!entry) throw new Refusal('this sign-in was not started here, or took longer than 10 minutes');
      const providerError = url.searchParams.get('error');
      if (providerError) throw new Refusal(`the provider refused: ${providerError.slice(0, 80)}`);
      const current = new URL(`${redirectUri()}${url.search}`);
      let claims: Record<string, unknown>;
      try {
        const tokens = await oidc.authorizationCodeGrant(await config(), current, { pkceCodeVerifier: entry.verifier, expectedState: entry.state, expectedNonce: entry.nonce });
        claims = { ...tokens.claims() };
        // The groups may be only at userinfo (the provider's choice): asked when the ID token lacks them.
        if (claims[settingsOidc.groupsClaim] === undefined && tokens.access_token && typeof claims.sub === 'string') {
          const info = await oidc.fetchUserInfo(await config(), tokens.access_token, claims.sub).catch(() => null);
          if (info) claims = { ...info, ...claims, [settingsOidc.groupsClaim]: info[settingsOidc.groupsClaim] };
        }
      } catch (error) {
        logger.warn('single sign-on refused', { error: error instanceof Error ? error.message : String(error) });
        throw new Refusal(`the provider's answer did not check out (${error instanceof Error ? error.message.slice(0, 120) : 'invalid'})`);
      }
      const username = claims[settingsOidc.usernameClaim];
      name = typeof username === 'string' ? username.slice(0, 64) : null;
      const [existing, roles] = await Promise.all([typeof username === 'string' ? stores.users.get(username) : null, stores.roles.list()]);
      const decided = ssoUser(existing, username, claims[settingsOidc.groupsClaim], roles);
      if (!decided.ok) throw new Refusal(decided.reason);
      const { user, action } = decided;
      if (action !== 'unchanged') {
        await audit.recordChange([{ type: 'config.change', user: user.name, src, action, kind: 'User', name: user.name }],
          (changeAudit) => stores.applyChanges([{ op: 'put', resource: user }], changeAudit));
      }
      await audit.record({ type: 'console.login', user: user.name, src, outcome: 'success', method: 'oidc' });
      const session = deps.sessions.create(user.name);
      response.writeHead(303, {
        location: entry.next, 'cache-control': 'no-store',
        'set-cookie': [clearPending, cookie(SESSION_COOKIE, session.id, '/', 'Strict')],
      }).end();
    } catch (error) {
      if (error instanceof AuditUnavailable) return refuse(response, 503, 'the audit trail cannot be written; nobody is signed in', { 'set-cookie': clearPending });
      if (!(error instanceof Refusal)) throw error;
      audit.note({ type: 'console.login', user: name, src, outcome: 'failure', method: 'oidc', reason: error.message });
      await deps.bans.failure(ip, null, src);
      refuse(response, 401, `single sign-on refused: ${error.message}`, { 'set-cookie': clearPending });
    }
  }

  /** Answers `/auth/oidc/*`; false for any other path. */
  return async function handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean> {
    if (!url.pathname.startsWith('/auth/')) return false;
    if (!settings.identity.oidc) {
      refuse(response, 404, 'single sign-on is not set up (identity.oidc)');
      return true;
    }
    if (request.method !== 'GET') {
      refuse(response, 405, `${request.method} is not allowed on ${url.pathname}`);
      return true;
    }
    const ban = await deps.runtime.stores.bans.active(plainIp(request.socket.remoteAddress), new Date());
    if (ban) {
      refuse(response, 403, `banned until ${ban.until}`);
      return true;
    }
    if (url.pathname === '/auth/oidc/login') await start(response, url);
    else if (url.pathname === CALLBACK_PATH) await callback(request, response, url);
    else refuse(response, 404, `no route ${url.pathname}`);
    return true;
  };
}
