/**
 * Issues a gateway access token for one user and one target and the `.rdp` file that
 * carries it: the grant is checked first (a user without an `rdp` rule for the target gets
 * no token), the token's id is recorded for single use, and the issue is audited before the
 * token is handed out (audit fails closed). The command line issues as the operator; a
 * console would check the person's second factor and source before calling this.
 */
import type { Runtime } from '../main.js';
import { ms } from '../config/load-settings.js';
import { issueToken, tokenIdHash, TOKEN_PURPOSE } from './access-token.js';
import { decideRdp } from './rdp-access.js';
import { gatewayAddress, rdpFileText } from './rdp-file.js';

export type RdpFileOutcome =
  | { issued: true; text: string; expiresAt: string }
  | { issued: false; reason: string };

export async function issueRdpFile(
  runtime: Pick<Runtime, 'stores' | 'settings' | 'vault' | 'audit'>, ownAddresses: ReadonlySet<string>,
  request: { user: string; target: string; actor: string; sourceIp?: string; mfaVerified: boolean },
): Promise<RdpFileOutcome> {
  const gateway = gatewayAddress(runtime.settings.rdp);
  if (!gateway) return { issued: false, reason: 'the RD Gateway is off (rdp.listen is empty); set rdp.listen, and rdp.publicAddress for clients elsewhere' };
  const decision = await decideRdp(runtime.stores, ownAddresses, { user: request.user, target: request.target, host: null, port: 3389, sourceIp: request.sourceIp, mfaVerified: request.mfaVerified });
  if (!decision.allowed) return { issued: false, reason: `${request.user} may not reach ${request.target} over RDP (${decision.reason})` };
  const now = new Date();
  const [key] = runtime.vault().signingKeys(TOKEN_PURPOSE);
  const { token, claims } = issueToken(request.user, request.target, ms(runtime.settings.rdp.tokenTTL), key, now);
  await runtime.audit.record({ type: 'rdp.token.issue', user: request.user, src: null, by: request.actor, target: request.target, expires: claims.expiresAt });
  await runtime.stores.rdpTokens.add({ idHash: tokenIdHash(claims.id), user: claims.user, target: claims.target, expiresAt: claims.expiresAt, createdAt: now.toISOString() }, now);
  return { issued: true, text: rdpFileText({ target: request.target, gateway, token }), expiresAt: claims.expiresAt };
}
