// A real OpenID Connect provider for the identity tests (the oidc-provider package), on
// loopback over HTTPS with the test's certificate, its own RSA signing key, one
// confidential client that must use PKCE, and accounts read from a JSON file at every
// request ({"alice": {"groups": ["dba-team"]}}), so a test can change someone's groups.
// The login form is oidc-provider's development one (fields `login`, `password`); consent
// is skipped. A login that names no account in the file is refused. ACCOUNTS_FILE.tamper,
// when it holds `state` or `nonce`, makes the provider change that value on its way (as an
// attacker in the middle would), for the tests that the relying party refuses it.
//
// usage: node oidc-provider.mjs PORT CERT KEY ACCOUNTS_FILE CLIENT_ID CLIENT_SECRET REDIRECT_ORIGIN
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import Provider from 'oidc-provider';

const [port, certFile, keyFile, accountsFile, clientId, clientSecret, redirectOrigin] = process.argv.slice(2);
const issuer = `https://127.0.0.1:${port}`;
const accounts = () => JSON.parse(readFileSync(accountsFile, 'utf8'));

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [`${redirectOrigin}/auth/oidc/callback`], response_types: ['code'], grant_types: ['authorization_code'] }],
  jwks: { keys: [jwk] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  pkce: { required: () => true },
  claims: { openid: ['sub'], profile: ['preferred_username'], groups: ['groups'] },
  scopes: ['openid', 'profile', 'groups'],
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    const account = accounts()[id];
    if (!account) return undefined;
    return { accountId: id, claims: () => ({ sub: id, preferred_username: id, groups: account.groups }) };
  },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile groups');
    await grant.save();
    return grant;
  },
});
const tamperFile = `${accountsFile}.tamper`;
provider.use(async (ctx, next) => {
  const mode = existsSync(tamperFile) ? readFileSync(tamperFile, 'utf8').trim() : '';
  if (mode === 'nonce' && ctx.path === '/auth') {
    const params = new URLSearchParams(ctx.querystring);
    if (params.has('nonce')) {
      params.set('nonce', `tampered-${params.get('nonce')}`);
      ctx.querystring = params.toString();
    }
  }
  await next();
  const location = ctx.response.get('location');
  if (mode === 'state' && location && location.startsWith(redirectOrigin)) {
    const url = new URL(location);
    if (url.searchParams.has('state')) {
      url.searchParams.set('state', 'tampered');
      ctx.set('location', url.href);
    }
  }
});

// Accept the gateway's callback on whatever origin the test gave it (exact match otherwise).
provider.Client.prototype.redirectUriAllowed = (uri) => new URL(uri).origin === redirectOrigin;

https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, provider.callback())
  .listen(Number(port), '127.0.0.1', () => process.stdout.write(`ready ${issuer}\n`));
