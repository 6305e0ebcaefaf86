/**
 * Authentication of one connection (RFC 4252): a first factor (a public key the user
 * lists, an OpenSSH user certificate from a trusted CA, a password, or a password over
 * keyboard-interactive, as `ssh.authMethods` allows), then a TOTP code
 * over keyboard-interactive when a rule the user could use needs one (partial success,
 * RFC 4252 §5.1). Decisions come from the pure parts; this file carries them out.
 */
import type { AuthContext, PublicKeyAuthContext, KeyboardAuthContext } from 'ssh2';
import type { GatewayDeps } from './gateway-deps.js';
import type { BanGuard } from './ban-guard.js';
import { userBanKey } from './ban-guard.js';
import { parseLoginName, type LoginName } from './login-name.js';
import { checkUserKey, signatureValid, checkCertificateLogin, certificateSignatureValid, publicKeyRequestAlgorithm } from './public-key-auth.js';
import { verifyPassword } from '../auth/password.js';
import { totpStep, totpVaultName } from '../auth/totp.js';
import { findRecoveryCode, looksLikeRecoveryCode, looksLikeWithdrawnRecoveryCode } from '../auth/recovery-codes.js';
import { secondFactorWanted } from '../auth/second-factor.js';
import type { KeySet } from '../auth/openssh-certificate.js';
import { loadCertificateTrust, withStoredKeys, type CertificateTrust } from '../auth/revoked-keys.js';
import { addressInAny } from '../domain/cidr.js';
import type { User } from '../domain/resources.js';
import { background } from '../runtime/background.js';
import { userCaPublicBlob } from '../ca/user-ca.js';
import { approvalPrompt, approvalRefusalText, browserApprovalOffered, createConnectionApproval, type ConnectionApproval } from './browser-approval.js';
import { rolesOf } from '../policy/effective-roles.js';

export interface Authenticated {
  user: string;
  login: LoginName & { ok: true };
  mfaVerified: boolean;
  /**
   * False when the user logged in with an OpenSSH certificate without the
   * `permit-port-forwarding` extension: no direct-tcpip channels (jump or forward)
   * on this connection, as sshd refuses them.
   */
  portForwardingPermitted: boolean;
  /** The certificate the user logged in with, if any. */
  certificate?: { keyId: string; serial: string };
  /** How the user authenticated (`publickey`, `password`, `publickey+totp`, …), for the connection's log line. */
  method: string;
}

/** What the first factor proved, carried into the result and the `auth.success` event. */
interface Proof {
  /** Fingerprint of the key (a certificate's certified key). */
  key?: string;
  certificate?: { keyId: string; serial: string };
  portForwardingPermitted: boolean;
}

const PASSWORD_PROOF: Proof = { portForwardingPermitted: true };

type Method = 'publickey' | 'password' | 'keyboard-interactive';

/**
 * What a refused attempt counts toward: nothing, the source address, or the address and
 * the user's lock (`user:NAME`). Only knowledge factors (password, TOTP code, recovery
 * code) count toward the user: anyone may offer a user's public key with a bogus
 * signature, and that must not lock the user out.
 */
type Charge = 'none' | 'address' | 'address-and-user';

const LOCKED = 'user temporarily locked after repeated failures';

/**
 * Answers a key query with SSH_MSG_USERAUTH_PK_OK, which repeats the algorithm name of
 * the request (RFC 4252 §7). ssh2 would send the key type instead (`ssh-rsa` for an
 * rsa-sha2-256 query), and Dropbear then signs with what PK_OK names: SHA-1.
 */
function acceptKeyQuery(ctx: PublicKeyAuthContext, algorithm: string): void {
  ctx.key.algo = algorithm;
  ctx.accept();
}

export class AuthFlow {
  private attempts = 0;
  private firstFactor: { user: string; method: string; proof: Proof; login: LoginName & { ok: true } } | null = null;
  private counted = false;
  /** Why the last code was refused, told with the next prompt: the audit log is not the person's to read. */
  private codeRefusal: string | null = null;
  /** This connection's browser approval, once offered, and why the last Enter did not log in. */
  private approval: ConnectionApproval | null = null;
  private approvalRefusal: string | null = null;
  result: Authenticated | null = null;
  /** For the connection's log line: the user part of the last login name tried, as sent, and why the last attempt failed. */
  lastUser: string | null = null;
  lastFailure: string | null = null;

  constructor(
    private readonly deps: GatewayDeps & { bans: BanGuard },
    private readonly client: { ip: string; src: string; end(): void },
  ) {}

  /** Methods offered for a first factor. */
  private methods(): Method[] {
    return [...this.deps.settings.ssh.authMethods];
  }

  async handle(ctx: AuthContext): Promise<void> {
    const login = parseLoginName(ctx.username);
    // As sent (the log line escapes and bounds it), not the audit trail's shortened copy.
    const plus = ctx.username.indexOf('+');
    this.lastUser = plus === -1 ? ctx.username : ctx.username.slice(0, plus);
    if (this.firstFactor && this.firstFactor.user !== login.user) this.firstFactor = null;
    if (ctx.method === 'none') return ctx.reject(this.firstFactor ? ['keyboard-interactive'] : this.methods());
    this.attempts += 1;
    if (this.attempts > this.deps.settings.ssh.maxAuthTries) {
      await this.fail(ctx, login.user, ctx.method, 'too many authentication attempts', 'address');
      this.client.end();
      return;
    }
    if (!login.ok) return this.fail(ctx, login.user, ctx.method, `bad login name "${login.shown}": ${login.reason}`);

    if (this.firstFactor && ctx.method === 'keyboard-interactive') return this.secondFactor(ctx);
    if (!this.methods().includes(ctx.method as Method)) return this.fail(ctx, login.user, ctx.method, `method ${ctx.method} not allowed`);

    const user = await this.deps.stores.users.get(login.user);
    switch (ctx.method) {
      case 'publickey': return this.publicKey(ctx, login, user);
      case 'password': return this.password(ctx, login, user, ctx.password);
      case 'keyboard-interactive':
        if (browserApprovalOffered(this.deps.settings)) return this.browserApproval(ctx, login, user);
        ctx.prompt([{ prompt: 'Password: ', echo: false }], (answers) => {
          // ssh2 passes an Error when the client sends a new request instead of answering.
          if (!Array.isArray(answers)) return;
          this.decideInBackground(ctx, login.user, ctx.method, () => this.password(ctx, login, user, answers[0] ?? ''));
        });
        return;
      default: return this.fail(ctx, login.user, ctx.method, `method ${ctx.method} not allowed`);
    }
  }

  /**
   * keyboard-interactive with the console on: the one code of this connection (made at the
   * first round, shown again at the next), and its password as the other way in.
   */
  private async browserApproval(ctx: KeyboardAuthContext, login: LoginName & { ok: true }, user: User | null): Promise<void> {
    if (this.approval?.user !== login.user) this.approval = await createConnectionApproval(this.deps, login.user, this.client.src);
    const approval = this.approval;
    const { instruction, prompt } = approvalPrompt(approval, this.approvalRefusal);
    ctx.prompt([{ prompt, echo: false }], 'jumpgate', instruction, (answers) => {
      // ssh2 passes an Error when the client sends a new request instead of answering.
      if (!Array.isArray(answers)) return;
      const answer = answers[0] ?? '';
      this.decideInBackground(ctx, login.user, ctx.method, () => (answer === '' ? this.approved(ctx, login, approval) : this.password(ctx, login, user, answer)));
    });
  }

  /** Enter pressed: in only when the person approved this connection's code (claimed once). */
  private async approved(ctx: KeyboardAuthContext, login: LoginName & { ok: true }, approval: ConnectionApproval): Promise<void> {
    const method = 'browser-approval';
    const claimed = await this.deps.stores.approvals.claim({ codeHash: approval.codeHash }, new Date());
    if (!claimed.ok) {
      const text = approvalRefusalText(claimed.reason);
      this.approvalRefusal = text.told;
      return this.fail(ctx, login.user, method, text.audit, 'address');
    }
    this.approvalRefusal = null;
    const user = await this.deps.stores.users.get(login.user);
    if (!user) return this.fail(ctx, login.user, method, 'unknown user', 'address');
    if (user.disabled) return this.fail(ctx, login.user, method, 'user disabled', 'address');
    if (user.sourceCidrs.length > 0 && !addressInAny(this.client.ip, user.sourceCidrs)) return this.fail(ctx, login.user, method, `source address ${this.client.ip} not allowed for ${user.name}`, 'address');
    return this.firstFactorDone(ctx, login, user, method, PASSWORD_PROOF);
  }

  /** Called when the connection closes: key queries that never succeeded count as one failure. */
  async closed(): Promise<void> {
    if (!this.result && this.attempts > 0 && !this.counted) {
      this.counted = true;
      await this.deps.bans.failure(this.client.ip, null, this.client.src);
    }
  }

  private async publicKey(ctx: PublicKeyAuthContext, login: LoginName & { ok: true }, user: User | null): Promise<void> {
    const request = publicKeyRequestAlgorithm({ keyAlgo: ctx.key.algo, hashAlgo: ctx.hashAlgo, keyBlob: ctx.key.data, signedData: ctx.signature ? ctx.blob : undefined });
    if (!request.ok) return this.fail(ctx, login.user, 'publickey', request.reason);
    const trust = await this.certificateTrust();
    // An unreadable revoked keys file refuses every key, as sshd does: it cannot tell which are revoked.
    if (!trust.revoked) return this.fail(ctx, login.user, 'publickey', trust.revokedError ?? 'revoked keys file unreadable');
    if (request.certificate) {
      // jumpgate's own user CA is always trusted (SPEC §12), once it exists; asked for certificate logins only.
      const userCa = await userCaPublicBlob(this.deps.stores.gatewayKeys);
      if (userCa) trust.trustedCAs.add(userCa);
      return this.certificate(ctx, login, user, { trustedCAs: trust.trustedCAs, revoked: trust.revoked, userCa });
    }
    const verdict = checkUserKey(user, ctx.key.data, this.client.ip, new Date(), trust.revoked);
    if (!verdict.ok) return this.fail(ctx, login.user, 'publickey', verdict.reason);
    // Without a signature the client only asks whether the key would do (RFC 4252 §7).
    if (!ctx.signature || !ctx.blob) return acceptKeyQuery(ctx, request.algorithm);
    if (!signatureValid(ctx.key.data, ctx.blob, ctx.signature, request.hash)) return this.fail(ctx, login.user, 'publickey', 'signature invalid', 'address');
    return this.firstFactorDone(ctx, login, user!, 'publickey', { key: verdict.fingerprint, portForwardingPermitted: true });
  }

  /** An OpenSSH user certificate (PROTOCOL.certkeys), checked as sshd's auth2-pubkey.c does. */
  private async certificate(ctx: PublicKeyAuthContext, login: LoginName & { ok: true }, user: User | null, trust: { trustedCAs: KeySet; revoked: KeySet; userCa: Buffer | null }): Promise<void> {
    const verdict = checkCertificateLogin(user, ctx.key.algo, ctx.key.data, this.client.ip, trust);
    if (!verdict.ok) return this.fail(ctx, login.user, 'publickey', verdict.reason, verdict.counts ? 'address' : 'none');
    // Serials are jumpgate's own only for certificates its user CA signed (`jumpgate certificate revoke`).
    if (verdict.signedByUserCa && (await this.deps.stores.revokedSerials.has(verdict.login.serial))) {
      return this.fail(ctx, login.user, 'publickey', `certificate serial ${verdict.login.serial} revoked`);
    }
    if (!ctx.signature || !ctx.blob) return acceptKeyQuery(ctx, ctx.key.algo);
    if (!certificateSignatureValid(verdict.login, ctx.blob, ctx.signature)) return this.fail(ctx, login.user, 'publickey', 'signature invalid', 'address');
    const { fingerprint, keyId, serial, portForwardingPermitted } = verdict.login;
    return this.firstFactorDone(ctx, login, user!, 'publickey', { key: fingerprint, certificate: { keyId, serial }, portForwardingPermitted });
  }

  /**
   * The CA and revoked key files (read again when they change; problems logged once) and the
   * store's lists, read at each login so `jumpgate ca revoke` on any node holds at once. When
   * the store cannot say which keys are revoked, key logins are refused (fail closed).
   */
  private async certificateTrust(): Promise<CertificateTrust> {
    const trust = loadCertificateTrust(this.deps.dataDir, this.deps.settings.ssh);
    for (const problem of trust.newProblems) this.deps.logger.error(problem);
    try {
      return withStoredKeys(trust, await this.deps.stores.userKeys.list());
    } catch (error) {
      this.deps.logger.error('the store\'s trusted CA and revoked keys cannot be read; refusing key logins', { error });
      return { ...trust, revoked: null, revokedError: 'revoked keys unreadable from the store' };
    }
  }

  private async password(ctx: AuthContext, login: LoginName & { ok: true }, user: User | null, password: string): Promise<void> {
    if (await this.userLocked(login.user)) return this.fail(ctx, login.user, ctx.method, LOCKED);
    const factors = user ? await this.deps.stores.factors.get(user.name) : null;
    const ok = await verifyPassword(factors?.passwordHash ?? null, password);
    const charge: Charge = 'address-and-user';
    if (!user) return this.fail(ctx, login.user, ctx.method, 'unknown user', charge);
    if (user.disabled) return this.fail(ctx, login.user, ctx.method, 'user disabled', charge);
    if (user.sourceCidrs.length > 0 && !addressInAny(this.client.ip, user.sourceCidrs)) return this.fail(ctx, login.user, ctx.method, `source address ${this.client.ip} not allowed for ${user.name}`, charge);
    if (!factors?.passwordHash) return this.fail(ctx, login.user, ctx.method, 'no password set', charge);
    if (!ok) return this.fail(ctx, login.user, ctx.method, 'wrong password', charge);
    return this.firstFactorDone(ctx, login, user, ctx.method, PASSWORD_PROOF);
  }

  /**
   * A user's lock holds back the factors it protects from guessing (password and codes);
   * a public key or certificate cannot be guessed, so it still logs the user in.
   */
  private async userLocked(user: string): Promise<boolean> {
    return this.deps.bans.banned(userBanKey(user));
  }

  private async firstFactorDone(ctx: AuthContext, login: LoginName & { ok: true }, user: User, method: string, proof: Proof): Promise<void> {
    const roles = await rolesOf(this.deps.stores, user);
    const factors = await this.deps.stores.factors.get(user.name);
    if (secondFactorWanted(roles, Boolean(factors?.totpSealed))) {
      this.firstFactor = { user: user.name, method, proof, login };
      return ctx.reject(['keyboard-interactive'], true);
    }
    return this.succeed(ctx, login, method, proof, false);
  }

  private secondFactor(ctx: KeyboardAuthContext): void {
    const first = this.firstFactor!;
    const method = `${first.method}+totp`;
    // In the prompt itself: OpenSSH shows the instruction only at LogLevel INFO, and askpass never.
    const prompt = this.codeRefusal ? `${this.codeRefusal} Try again. Verification code: ` : 'Verification code: ';
    ctx.prompt([{ prompt, echo: false }], 'jumpgate', 'A rule you may use needs a second factor.', (answers) => {
      // ssh2 passes an Error when the client sends a new request instead of answering.
      if (!Array.isArray(answers)) return;
      this.decideInBackground(ctx, first.user, method, () => this.checkCode(ctx, first, (answers[0] ?? '').trim()), ['keyboard-interactive']);
    });
  }

  private async checkCode(ctx: KeyboardAuthContext, first: NonNullable<AuthFlow['firstFactor']>, code: string): Promise<void> {
    const method = `${first.method}+totp`;
    const again: Method[] = ['keyboard-interactive'];
    const charge: Charge = 'address-and-user';
    if (await this.userLocked(first.user)) return this.fail(ctx, first.user, method, LOCKED, 'none', again);
    const factors = await this.deps.stores.factors.get(first.user);
    if (!factors?.totpSealed) return this.fail(ctx, first.user, method, 'no second factor enrolled', charge, again);
    if (code === '') return this.codeFailed(ctx, first.user, method, 'no verification code given', 'No code was given.');
    if (looksLikeRecoveryCode(code)) {
      const stored = await findRecoveryCode(code, factors.recoveryHashes);
      if (stored !== null && (await this.deps.stores.factors.claimRecoveryCode(first.user, stored))) return this.succeed(ctx, first.login, `${first.method}+recovery-code`, first.proof, true);
      return this.codeFailed(ctx, first.user, method, 'recovery code unknown or already used', 'That recovery code is unknown or was used already.');
    }
    if (looksLikeWithdrawnRecoveryCode(code)) return this.codeFailed(ctx, first.user, method, 'recovery code of the first format, withdrawn (new codes: jumpgate user totp NAME --replace)', 'Recovery codes of that format were withdrawn; ask an operator for new ones.');
    const secret = this.totpSecret(first.user, factors.totpSealed);
    // The gateway's fault, not the user's: logged, and refused without a charge.
    if (secret === null) {
      this.codeRefusal = 'The gateway cannot check codes now; tell an operator.';
      return this.fail(ctx, first.user, method, 'second factor unavailable: the TOTP secret cannot be opened with the vault key', 'none', again);
    }
    const step = totpStep(secret, code);
    if (step === null) return this.codeFailed(ctx, first.user, method, 'wrong verification code', 'That code is wrong (is the clock of your device right?).');
    if (!(await this.deps.stores.factors.claimTotpStep(first.user, step))) return this.codeFailed(ctx, first.user, method, 'verification code already used', 'That code was used already; wait for the next one.');
    return this.succeed(ctx, first.login, method, first.proof, true);
  }

  /** A code the person got wrong: audited and charged like any failure, and told to them with the next prompt. */
  private codeFailed(ctx: KeyboardAuthContext, user: string, method: string, reason: string, told: string): Promise<void> {
    this.codeRefusal = told;
    return this.fail(ctx, user, method, reason, 'address-and-user', ['keyboard-interactive']);
  }

  /** The user's TOTP secret, or null (and an error logged) when the vault cannot open it. */
  private totpSecret(user: string, sealed: string): string | null {
    try {
      return this.deps.vault().open(totpVaultName(user), sealed).reveal().toString('utf8');
    } catch (error) {
      this.deps.logger.error('cannot open a TOTP secret; the user cannot pass the second factor', { user, error });
      return null;
    }
  }

  /**
   * Runs a decision started from an ssh2 callback. An unexpected error is logged, and the
   * attempt refused and audited with a reason that holds no secret.
   */
  private decideInBackground(ctx: AuthContext, user: string, method: string, decide: () => Promise<void>, methods?: Method[]): void {
    background(this.deps.logger, 'recording an authentication failure', decide().catch(async (error: unknown) => {
      this.deps.logger.error('authentication failed unexpectedly', { user, method, src: this.client.src, error });
      await this.fail(ctx, user, method, 'internal error (see the gateway log)', 'none', methods);
    }));
  }

  private async succeed(ctx: AuthContext, login: LoginName & { ok: true }, method: string, proof: Proof, mfaVerified: boolean): Promise<void> {
    const { certificate, portForwardingPermitted, key } = proof;
    try {
      await this.deps.audit.record({
        type: 'auth.success', user: login.user, src: this.client.src, method, key,
        ...(certificate ? { key_id: certificate.keyId, serial: certificate.serial } : {}),
      });
    } catch (error) {
      // A login the trail does not hold does not happen (audit fails closed).
      this.deps.logger.error('refusing a login: its auth.success cannot be audited', { user: login.user, src: this.client.src, error });
      ctx.reject();
      return;
    }
    this.result = { user: login.user, login, mfaVerified, portForwardingPermitted, ...(certificate ? { certificate } : {}), method };
    ctx.accept();
  }

  /** Refuses the attempt, audits it, and counts it toward bans as `charge` says. */
  private async fail(ctx: AuthContext, user: string, method: string, reason: string, charge: Charge = 'none', methods?: Method[]): Promise<void> {
    ctx.reject(methods ?? (this.firstFactor ? ['keyboard-interactive'] : this.methods()), Boolean(methods));
    this.lastFailure = reason;
    // Refused already; a failure to audit the refusal is logged (AuditLog reports it too).
    await this.deps.audit.record({ type: 'auth.failure', user, src: this.client.src, method, reason }).catch(() => {});
    if (charge === 'none') return;
    this.counted = true;
    if (await this.deps.bans.failure(this.client.ip, charge === 'address-and-user' ? user : null, this.client.src)) this.client.end();
  }
}
