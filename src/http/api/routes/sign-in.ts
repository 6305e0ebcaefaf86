/**
 * `POST /api/v1/session` (sign in: `{user, password, totp}`), `GET` (who am I) and `DELETE`
 * (sign out). The checks follow the SSH password login (auth-flow.ts): the same user lock,
 * the same failures counted toward bans, and a TOTP code whenever one is enrolled.
 */
import { z } from 'zod';
import { verifyPassword } from '../../../auth/password.js';
import { totpStep, totpVaultName } from '../../../auth/totp.js';
import { userBanKey } from '../../../gateway/ban-guard.js';
import { addressInAny } from '../../../domain/cidr.js';
import { ApiError } from '../api-error.js';
import { SESSION_COOKIE } from '../api-handler.js';
import { adminLevelOf } from '../principal.js';
import { json, type ApiDeps, type ApiRequest, type PublicRoute, type Route } from '../api-types.js';
import { parseBody } from './body.js';

const SignIn = z.strictObject({
  user: z.string().min(1).max(64),
  password: z.string().max(1024),
  totp: z.string().max(16).optional(),
});

/** One answer for every refused sign-in: which part was wrong is in the audit trail only. */
const REFUSED = 'sign-in refused: wrong user, password or code';

class SignInFailed extends Error {
  constructor(readonly reason: string, readonly charged = true) {
    super(reason);
  }
}

async function checkFactors(deps: ApiDeps, ip: string, input: z.infer<typeof SignIn>): Promise<string> {
  const { stores } = deps.runtime;
  if (await deps.bans.banned(userBanKey(input.user))) throw new SignInFailed('user temporarily locked after repeated failures', false);
  const user = await stores.users.get(input.user);
  const factors = user ? await stores.factors.get(user.name) : null;
  // Verified first in every case, so timing does not tell which users exist.
  const passwordOk = await verifyPassword(factors?.passwordHash ?? null, input.password);
  if (!user) throw new SignInFailed('unknown user');
  if (user.disabled) throw new SignInFailed('user disabled');
  if (user.sourceCidrs.length > 0 && !addressInAny(ip, user.sourceCidrs)) throw new SignInFailed(`source address ${ip} not allowed for ${user.name}`);
  if (!factors?.passwordHash) throw new SignInFailed('no password set');
  if (!passwordOk) throw new SignInFailed('wrong password');
  if (!factors.totpSealed) return 'password';
  const code = (input.totp ?? '').trim();
  if (code === '') throw new SignInFailed('no verification code given');
  let secret: string;
  try {
    secret = deps.runtime.vault().open(totpVaultName(user.name), factors.totpSealed).reveal().toString('utf8');
  } catch (error) {
    deps.runtime.logger.error('cannot open a TOTP secret; the user cannot pass the second factor', { user: user.name, error });
    throw new SignInFailed('second factor unavailable: the TOTP secret cannot be opened with the vault key', false);
  }
  const step = totpStep(secret, code);
  if (step === null) throw new SignInFailed('wrong verification code');
  if (!(await stores.factors.claimTotpStep(user.name, step))) throw new SignInFailed('verification code already used');
  return 'password+totp';
}

function cookie(deps: ApiDeps, value: string, maxAgeSeconds?: number): string {
  return [`${SESSION_COOKIE}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', ...(deps.secure ? ['Secure'] : []),
    ...(maxAgeSeconds !== undefined ? [`Max-Age=${maxAgeSeconds}`] : [])].join('; ');
}

async function signIn(request: ApiRequest, deps: ApiDeps) {
  const input = parseBody(SignIn, request.body);
  const { audit } = deps.runtime;
  let method: string;
  try {
    method = await checkFactors(deps, request.ip, input);
  } catch (error) {
    if (!(error instanceof SignInFailed)) throw error;
    audit.note({ type: 'console.login', user: input.user, src: request.src, outcome: 'failure', method: 'password', reason: error.reason });
    if (error.charged) await deps.bans.failure(request.ip, input.user, request.src);
    throw new ApiError(401, REFUSED);
  }
  // A sign-in the trail does not hold does not happen (record() throws AuditUnavailable: 503).
  await audit.record({ type: 'console.login', user: input.user, src: request.src, outcome: 'success', method });
  const session = deps.sessions.create(input.user);
  const roles = (await Promise.all(((await deps.runtime.stores.users.get(input.user))?.roles ?? []).map((name) => deps.runtime.stores.roles.get(name)))).filter((r) => r !== null);
  return json(200, { user: input.user, admin: adminLevelOf(roles), csrfToken: session.csrf }, { 'set-cookie': cookie(deps, session.id) });
}

export const signInRoutes: Array<Route | PublicRoute> = [
  { method: 'POST', path: '/api/v1/session', need: 'anyone', handle: signIn },
  {
    method: 'GET', path: '/api/v1/session', need: 'anyone',
    handle: async (request: ApiRequest, deps: ApiDeps) => {
      const principal = request.principal;
      if (!principal) throw new ApiError(401, 'not signed in', { sso: deps.runtime.settings.identity.oidc !== null });
      return json(200, principal.kind === 'person'
        // Same-origin only (no CORS): a page of the console that reloads gets its CSRF token back.
        ? { kind: 'person', user: principal.user, admin: principal.admin, csrfToken: principal.session.csrf }
        : { kind: 'token', token: principal.name, admin: principal.admin });
    },
  },
  {
    method: 'DELETE', path: '/api/v1/session', need: 'person',
    handle: async (request, deps) => {
      if (request.principal.kind === 'person') deps.sessions.end(request.principal.session.id);
      return json(200, { signedOut: true }, { 'set-cookie': cookie(deps, '', 0) });
    },
  },
];
