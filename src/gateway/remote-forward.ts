/**
 * Remote forwarding (`ssh -R`, RFC 4254 §7.1) through a proxied session: where the rule
 * that grants the session says `remoteForward: true`, the gateway asks the target to
 * listen (its own `tcpip-forward`), so the port is bound on the target side only, never
 * on the gateway. Each connection the target then accepts is a `forward` session, in the
 * trail before a byte passes, relayed to the client as a `forwarded-tcpip` channel.
 */
import type { Duplex } from 'node:stream';
import type { Client, Connection, TcpConnectionDetails } from 'ssh2';
import type { LiveSessions } from './live-sessions.js';
import type { ProxiedConnection } from './proxied-session.js';
import type { ConnectionChannels } from './connection-channels.js';
import { checkSessionAccess } from './session-access.js';
import { relay } from './relay.js';
import { formatHostPort } from '../upstream/dial-tcp.js';
import { background } from '../runtime/background.js';

/** Remote forwards one client connection may hold at once. */
export const MAX_REMOTE_FORWARDS = 16;

export interface ForwardRequest { bindAddr: string; bindPort: number }
type Reply = ((port?: number) => void) | undefined;

interface Bound { client: Client; target: string; login: string; bindAddr: string; port: number }

export class RemoteForwards {
  /** By the address and port the target listens on (as it reports them back). */
  private readonly bound = new Map<string, Bound>();
  private readonly watched = new WeakSet<Client>();

  constructor(
    private readonly context: ProxiedConnection & { sessions: LiveSessions; channels: ConnectionChannels },
    private readonly client: Connection,
    private readonly targetName: string,
    private readonly explicitLogin: string | null,
  ) {}

  async listen(request: ForwardRequest, accept: Reply, reject: Reply): Promise<void> {
    const { deps, who, src } = this.context;
    const asked = formatHostPort(request.bindAddr, request.bindPort);
    const refuse = (reason: string, target: string | null, login: string | null) => {
      reject?.();
      deps.audit.note({ type: 'access.denied', user: who.userName, src, access: 'remoteForward', target, destination: `${asked} on ${target ?? this.targetName}`, login, reason });
    };
    if (this.bound.size >= MAX_REMOTE_FORWARDS) return refuse(`more than ${MAX_REMOTE_FORWARDS} remote forwards on one connection`, this.targetName, this.explicitLogin);
    const decision = await checkSessionAccess(deps, who, this.targetName, this.explicitLogin, 'session');
    if (!decision.allowed) return refuse(decision.reason, decision.target, decision.login);
    const { target, login, rule, ruleName } = decision;
    if (!rule.remoteForward) return refuse(`${ruleName} does not allow remote forwarding`, target.name, login);
    let upstream: Client;
    try {
      upstream = await this.context.upstream(target, login, { relayAgent: false, remoteForward: true });
    } catch (error) {
      deps.logger.info('remote forward: target unreachable', { src, target: target.name, error });
      reject?.();
      return;
    }
    this.watch(upstream);
    upstream.forwardIn(request.bindAddr, request.bindPort, (error, port) => {
      if (error) {
        deps.logger.info('remote forward refused by the target', { src, target: target.name, error });
        return reject?.();
      }
      const bound = port || request.bindPort;
      this.bound.set(formatHostPort(request.bindAddr, bound), { client: upstream, target: target.name, login, bindAddr: request.bindAddr, port: bound });
      accept?.(bound);
    });
  }

  cancel(request: ForwardRequest, accept: Reply, reject: Reply): void {
    const key = formatHostPort(request.bindAddr, request.bindPort);
    const bound = this.bound.get(key);
    if (!bound) return reject?.();
    this.bound.delete(key);
    bound.client.unforwardIn(bound.bindAddr, bound.port, (error) => (error ? reject?.() : accept?.()));
  }

  /** Connections the target accepted on a forwarded port, relayed to the client. */
  private watch(upstream: Client): void {
    if (this.watched.has(upstream)) return;
    this.watched.add(upstream);
    upstream.on('tcp connection', (details: TcpConnectionDetails, accept: () => Duplex, reject: () => void) => {
      background(this.context.deps.logger, 'remote forward connection', this.relayConnection(details, accept, reject).catch((error: unknown) => {
        reject();
        throw error;
      }));
    });
  }

  private async relayConnection(details: TcpConnectionDetails, acceptUpstream: () => Duplex, rejectUpstream: () => void): Promise<void> {
    const { deps, who, src, sessions, channels } = this.context;
    const bound = this.bound.get(formatHostPort(details.destIP, details.destPort));
    const slot = bound ? channels.take() : null;
    if (!bound || !slot) return rejectUpstream();
    let stop: (reason?: string) => void = () => {};
    let endReason: 'closed' | 'killed' | 'shutdown' = 'closed';
    const admission = await sessions.start(
      { kind: 'forward', user: who.userName, src, target: bound.target, login: bound.login, destination: `${formatHostPort(bound.bindAddr, bound.port)} on ${bound.target} (ssh -R)` },
      (reason) => { endReason = reason === 'killed' || reason === 'shutdown' ? reason : 'closed'; stop(reason); },
    ).catch((error: unknown) => { slot.release(); throw error; });
    if (!admission.admitted) {
      slot.release();
      deps.audit.note({ type: 'access.denied', user: who.userName, src, access: 'remoteForward', target: bound.target, destination: formatHostPort(bound.bindAddr, bound.port), reason: admission.reason });
      return rejectUpstream();
    }
    const { session } = admission;
    this.client.forwardOut(bound.bindAddr, bound.port, details.srcIP, details.srcPort, (error, channel) => {
      if (error) {
        slot.release();
        rejectUpstream();
        session.finish({ reason: 'error', bytesUp: 0, bytesDown: 0, error: `the client refused the forwarded connection: ${error.message}` });
        return;
      }
      const upstream = acceptUpstream();
      const running = relay(channel, upstream, {
        relayEnded(result) {
          slot.release();
          session.finish({ reason: result.error && endReason === 'closed' ? 'error' : endReason, bytesUp: result.bytesUp, bytesDown: result.bytesDown, error: result.error });
        },
      });
      stop = (reason) => running.stop(reason);
      slot.untilConnectionCloses(running);
    });
  }
}
