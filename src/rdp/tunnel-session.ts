/**
 * One RD Gateway tunnel carried out: client packets through the state machine, the PAA
 * cookie checked and claimed, the channel judged by policy and dialed (through the
 * target's `via` chain, by the same upstream pool as every SSH channel), then bytes
 * relayed with back-pressure both ways until either side ends, the session is killed, or
 * it idles out. Each refusal is the protocol's error code to the client and an
 * `access.denied` event; each relayed channel is a session of kind `rdp`.
 */
import type { Duplex } from 'node:stream';
import type { GatewayDeps } from '../gateway/gateway-deps.js';
import type { LiveSessions, RegisteredSession } from '../gateway/live-sessions.js';
import type { EndReason } from '../domain/session.js';
import { ms } from '../config/load-settings.js';
import { auditUpstreamFailure } from '../gateway/direct-tcpip-channel.js';
import { TargetUnreachable, type UpstreamChannel } from '../upstream/upstream-pool.js';
import { formatHostPort } from '../upstream/dial-tcp.js';
import { background } from '../runtime/background.js';
import { checkToken, tokenIdHash, TOKEN_PURPOSE, type TokenClaims } from './access-token.js';
import { decideRdp } from './rdp-access.js';
import { TunnelMachine, type Step } from './tunnel-machine.js';
import { HRESULT, MAX_DATA_LENGTH, PacketError, PacketReader, dataPacket, hresultName, parseClientPacket, type Hresult } from './tsgu-packets.js';

/** What a tunnel runs over: one websocket, or the legacy pair of HTTP requests. */
export interface TunnelTransport {
  /** Sends one packet; false when the client's socket is full (wait for `onDrain`). */
  send(packet: Buffer): boolean;
  onDrain(listener: () => void): void;
  /** Stops and restarts reading the client (back-pressure from the target). */
  pauseInput(): void;
  resumeInput(): void;
  /** Ends the connection(s) after what was sent is flushed. */
  end(): void;
  destroy(): void;
}

export type TunnelDeps = Pick<GatewayDeps, 'stores' | 'audit' | 'logger' | 'settings' | 'vault' | 'upstream' | 'ownAddresses'>;

/** How long a closing channel waits for the client's close response before the connection is ended. */
const CLOSE_GRACE_MS = 2000;
let nextId = 1;

export class TunnelSession {
  private readonly reader = new PacketReader();
  private readonly machine: TunnelMachine;
  private claims: TokenClaims | null = null;
  private upstream: UpstreamChannel | null = null;
  private session: RegisteredSession | null = null;
  private endReason: EndReason = 'closed';
  private bytesUp = 0;
  private bytesDown = 0;
  private error: string | undefined;
  private idleTimer: NodeJS.Timeout | null = null;
  private maxTimer: NodeJS.Timeout | null = null;
  private ended = false;

  constructor(
    private readonly deps: TunnelDeps,
    private readonly sessions: LiveSessions,
    private readonly transport: TunnelTransport,
    private readonly client: { ip: string; src: string },
    /** Told once the channel is open (the connection stops counting as unauthenticated). */
    private readonly onOpen: () => void = () => {},
  ) {
    const id = nextId++;
    this.machine = new TunnelMachine({ tunnelId: id, channelId: id, idleTimeoutMinutes: Math.ceil(ms(deps.settings.sessions.idleTimeout) / 60_000) });
  }

  /** Bytes of the tunnel's packet stream from the client. */
  receive(bytes: Buffer): void {
    if (this.ended) return;
    try {
      for (const packet of this.reader.push(bytes)) {
        this.act(this.machine.receive(parseClientPacket(packet)));
        if (this.ended) return;
      }
    } catch (error) {
      // Whatever went wrong, it ends this tunnel only, never the gateway's other connections.
      if (!(error instanceof PacketError)) this.deps.logger.error('rdp tunnel failed', { src: this.client.src, error });
      this.finish(error instanceof PacketError ? `bad packet: ${error.message}` : 'internal error');
    }
  }

  /** The client's connection ended (or broke). */
  clientGone(error?: string): void {
    if (error) this.error ??= `client: ${error}`;
    this.finish('client connection closed');
  }

  /** Ends the tunnel as `reason` (a kill, an idle timeout, the gateway stopping). */
  stop(reason: EndReason): void {
    if (this.ended) return;
    this.endReason = reason;
    this.act(this.machine.close(reason === 'killed' || reason === 'shutdown' ? HRESULT.E_PROXY_CONNECTIONABORTED : HRESULT.E_PROXY_SESSIONTIMEOUT, reason));
    this.upstream?.stream.destroy();
    setTimeout(() => this.finish(reason), CLOSE_GRACE_MS).unref();
  }

  private act(step: Step): void {
    switch (step.kind) {
      case 'none': return;
      case 'send': this.transport.send(step.packet); return;
      case 'data': this.toTarget(step.data); return;
      case 'check-cookie': this.decideThen('checking a gateway access token', this.checkCookie(step.cookie)); return;
      case 'open-channel': this.decideThen('opening an RDP channel', this.openChannel(step.host, step.port)); return;
      case 'end':
        if (step.packet) this.transport.send(step.packet);
        if (step.refusal !== undefined) this.deps.logger.info('rdp tunnel refused', { src: this.client.src, user: this.claims?.user ?? null, why: step.reason, code: hresultName(step.refusal) });
        this.finish(step.reason);
    }
  }

  /**
   * Runs a decision nobody awaits. One that fails (the store or the vault cannot be read)
   * refuses the step with the protocol's internal error: the tunnel fails closed, and never
   * waits for an answer that will not come.
   */
  private decideThen(what: string, work: Promise<void>): void {
    background(this.deps.logger, what, work.catch((error: unknown) => {
      if (this.ended) throw error;
      const state = this.machine.state;
      if (state === 'checking-cookie') this.act(this.machine.cookieChecked(false, 'the gateway cannot check tokens now'));
      else if (state === 'opening-channel') this.act(this.machine.channelRefused(HRESULT.E_PROXY_INTERNALERROR, 'the gateway cannot decide now'));
      else this.finish('internal error');
      throw error;
    }));
  }

  private async checkCookie(cookie: string): Promise<void> {
    const refuse = (reason: string, claims?: TokenClaims) => {
      this.denied(claims?.user ?? null, claims?.target ?? null, '', reason);
      this.act(this.machine.cookieChecked(false, reason));
    };
    const check = checkToken(cookie, this.deps.vault().signingKeys(TOKEN_PURPOSE));
    if (!check.valid) return refuse(`gateway access token ${check.reason === 'malformed' ? 'is not one jumpgate issued' : check.reason === 'expired' ? 'expired' : 'has a bad signature'}`, check.claims);
    const claim = await this.deps.stores.rdpTokens.claim(tokenIdHash(check.claims.id), new Date());
    if (this.ended) return;
    if (!claim.claimed) return refuse(`gateway access token ${claim.reason === 'used' ? 'already used' : claim.reason === 'expired' ? 'expired' : 'unknown'}`, check.claims);
    this.claims = check.claims;
    this.act(this.machine.cookieChecked(true));
  }

  private async openChannel(host: string, port: number): Promise<void> {
    const claims = this.claims!;
    const asked = formatHostPort(host, port);
    const refuse = (error: Hresult, reason: string, target: string | null) => {
      this.denied(claims.user, target, asked, reason);
      this.act(this.machine.channelRefused(error, reason));
    };
    // The second factor, where a rule asks for one, was checked when the token was issued (SPEC §11).
    const decision = await decideRdp(this.deps.stores, this.deps.ownAddresses, { user: claims.user, target: claims.target, host, port, sourceIp: this.client.ip, mfaVerified: true });
    if (this.ended) return;
    if (!decision.allowed) return refuse(HRESULT.E_PROXY_RAP_ACCESSDENIED, decision.reason, decision.target);
    const { route, rule } = decision;
    let upstream: UpstreamChannel;
    try {
      upstream = await this.deps.upstream.open(route, (failed, failure) => auditUpstreamFailure(this.deps, claims.user, this.client.src, failed.name, failure));
    } catch (error) {
      const why = error instanceof TargetUnreachable ? error.message : `${route.target.name} unreachable: ${String(error)}`;
      this.deps.logger.info('rdp target unreachable', { src: this.client.src, user: claims.user, why });
      this.act(this.machine.channelRefused(HRESULT.E_PROXY_TS_CONNECTFAILED, why));
      return;
    }
    if (this.ended) {
      upstream.stream.destroy();
      upstream.release();
      return;
    }
    this.upstream = upstream;
    const admission = await this.sessions.start(
      { kind: 'rdp', user: claims.user, src: this.client.src, target: route.target.name, login: null, destination: upstream.address, via: upstream.via, rule },
      (reason) => this.stop(reason),
    ).catch((error: unknown) => ({ admitted: false as const, reason: String(error), message: String(error) }));
    if (!admission.admitted) {
      this.dropUpstream();
      if (!this.ended) refuse(HRESULT.E_PROXY_MAXCONNECTIONSREACHED, admission.reason, route.target.name);
      return;
    }
    this.session = admission.session;
    if (this.ended) {
      this.finish('client connection closed');
      return;
    }
    this.relay(upstream.stream);
    this.onOpen();
    this.act(this.machine.channelOpened());
  }

  private relay(stream: Duplex): void {
    const { idleTimeout, maxSessionDuration } = this.deps.settings.sessions;
    const idleMs = ms(idleTimeout);
    const maxMs = ms(maxSessionDuration);
    if (idleMs > 0) this.idleTimer = setTimeout(() => this.stop('idle'), idleMs);
    if (maxMs > 0) this.maxTimer = setTimeout(() => this.stop('max_duration'), maxMs);
    stream.on('data', (chunk: Buffer) => {
      this.bytesDown += chunk.length;
      this.idleTimer?.refresh();
      let flowing = true;
      for (let at = 0; at < chunk.length; at += MAX_DATA_LENGTH) {
        flowing = this.transport.send(dataPacket(chunk.subarray(at, at + MAX_DATA_LENGTH))) && flowing;
      }
      if (!flowing) stream.pause();
    });
    this.transport.onDrain(() => stream.resume());
    stream.on('drain', () => this.transport.resumeInput());
    stream.on('error', (error: Error) => { this.error ??= `target: ${error.message}`; });
    stream.on('close', () => {
      if (this.ended) return;
      // The target ended the connection: the channel closes; the client answers, then the connection ends.
      this.act(this.machine.close(HRESULT.OK, 'closed by the target'));
      setTimeout(() => this.finish('closed by the target'), CLOSE_GRACE_MS).unref();
    });
  }

  private toTarget(data: Buffer): void {
    const stream = this.upstream?.stream;
    if (!stream || stream.destroyed) return;
    this.bytesUp += data.length;
    this.idleTimer?.refresh();
    if (!stream.write(data)) this.transport.pauseInput();
  }

  private denied(user: string | null, target: string | null, destination: string, reason: string): void {
    this.deps.audit.note({ type: 'access.denied', user, src: this.client.src, access: 'rdp', target, destination, reason });
  }

  private dropUpstream(): void {
    if (!this.upstream) return;
    this.upstream.stream.destroy();
    this.upstream.release();
    this.upstream = null;
  }

  /** Ends everything once: the connection, the target stream, the session's record. */
  private finish(why: string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.maxTimer) clearTimeout(this.maxTimer);
    this.transport.end();
    setTimeout(() => this.transport.destroy(), CLOSE_GRACE_MS).unref();
    this.dropUpstream();
    this.deps.logger.debug('rdp tunnel ended', { src: this.client.src, why });
    this.session?.finish({
      reason: this.error && this.endReason === 'closed' ? 'error' : this.endReason,
      bytesUp: this.bytesUp, bytesDown: this.bytesDown, error: this.error,
    });
  }
}
