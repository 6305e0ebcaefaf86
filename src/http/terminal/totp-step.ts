/**
 * The second factor asked in the web terminal before a session a rule with `mfa: true`
 * grants (SPEC §3): the page asks for a TOTP code, the gateway checks it as the SSH
 * keyboard-interactive step does (auth-flow.ts): single use, audited as `auth.failure`,
 * and counted toward the address's and the user's bans.
 */
import type { GatewayDeps } from '../../gateway/gateway-deps.js';
import type { BanGuard } from '../../gateway/ban-guard.js';
import { userBanKey } from '../../gateway/ban-guard.js';
import { totpStep, totpVaultName } from '../../auth/totp.js';
import type { WebSocketSide } from './websocket-side.js';

/** Codes a person may try in one terminal before it closes. */
export const MAX_CODE_TRIES = 3;
const METHOD = 'web-terminal+totp';

export interface CodeAsker {
  deps: Pick<GatewayDeps, 'stores' | 'audit' | 'logger' | 'vault' | 'settings'>;
  bans: BanGuard;
  user: string;
  ip: string;
  src: string;
}

/** Asks the page for a code until one is right (true) or the tries, the time or the socket run out (false). */
export async function askTotp(asker: CodeAsker, side: WebSocketSide, waitMs: number): Promise<boolean> {
  let told: string | undefined;
  for (let attempt = 0; attempt < MAX_CODE_TRIES; attempt += 1) {
    side.tell({ type: 'totp', ...(told ? { error: told } : {}) });
    const code = await nextCode(side, waitMs);
    if (code === null) return false;
    const verdict = await checkCode(asker, code);
    if (verdict === true) return true;
    if (verdict.charge) {
      await asker.deps.audit.record({ type: 'auth.failure', user: asker.user, src: asker.src, method: METHOD, reason: verdict.reason }).catch(() => {});
      if (await asker.bans.failure(asker.ip, asker.user, asker.src)) return false;
    }
    if (verdict.final) return false;
    told = verdict.told;
  }
  return false;
}

type Verdict = true | { reason: string; told: string; charge: boolean; final?: boolean };

async function checkCode(asker: CodeAsker, code: string): Promise<Verdict> {
  const { stores, vault, logger } = asker.deps;
  if (await asker.bans.banned(userBanKey(asker.user))) return { reason: 'user temporarily locked after repeated failures', told: 'Locked after repeated failures.', charge: false, final: true };
  const factors = await stores.factors.get(asker.user);
  if (!factors?.totpSealed) return { reason: 'no second factor enrolled', told: 'No second factor is enrolled for you.', charge: true, final: true };
  if (code === '') return { reason: 'no verification code given', told: 'No code was given.', charge: true };
  let secret: string;
  try {
    secret = vault().open(totpVaultName(asker.user), factors.totpSealed).reveal().toString('utf8');
  } catch (error) {
    logger.error('cannot open a TOTP secret; the user cannot pass the second factor', { user: asker.user, error });
    return { reason: 'second factor unavailable', told: 'The gateway cannot check codes now; tell an operator.', charge: false, final: true };
  }
  const step = totpStep(secret, code);
  if (step === null) return { reason: 'wrong verification code', told: 'That code is wrong (is the clock of your device right?).', charge: true };
  if (!(await stores.factors.claimTotpStep(asker.user, step))) return { reason: 'verification code already used', told: 'That code was used already; wait for the next one.', charge: true };
  return true;
}

function nextCode(side: WebSocketSide, waitMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const done = (code: string | null) => {
      clearTimeout(timer);
      side.removeListener('close', gone);
      side.onControl(() => {});
      resolve(code);
    };
    const gone = () => done(null);
    const timer = setTimeout(gone, waitMs);
    side.once('close', gone);
    side.onControl((message) => {
      if (message.type === 'totp') done(typeof message.code === 'string' ? message.code.trim().slice(0, 16) : '');
    });
  });
}
