/**
 * `direct-tcpip` channels (RFC 4254 §7.2): ProxyJump (`ssh -J`, access `jump`) and local
 * forwarding (`ssh -L`, access `forward`). The gateway never sees a jumped session in
 * clear: it checks policy, dials the target and relays bytes.
 */
import type { Duplex } from 'node:stream';
import type { GatewayDeps } from './gateway-deps.js';
import type { LiveSessions, SessionAdmission, RegisteredSession } from './live-sessions.js';
import type { EndReason } from '../domain/session.js';
import { checkTcpAccess, type Requester } from './access-check.js';
import { TargetUnreachable, type UpstreamChannel, type DialAttemptFailure } from '../upstream/upstream-pool.js';
import { formatHostPort } from '../upstream/dial-tcp.js';
import { relay, type Relay, type RelayResult } from './relay.js';
import type { ChannelSlot } from './connection-channels.js';

/** RFC 4254 §5.1 reason codes. */
export const OPEN_FAILURE = { ADMINISTRATIVELY_PROHIBITED: 1, CONNECT_FAILED: 2, RESOURCE_SHORTAGE: 4 } as const;

export interface TcpipInfo { destIP: string; destPort: number; srcIP: string; srcPort: number }
export type AcceptChannel = () => Duplex | undefined;
export type RejectChannel = (reasonCode?: number, description?: string) => void;

export interface ChannelContext {
  deps: GatewayDeps;
  sessions: LiveSessions;
  who: Requester;
  src: string;
  /** False when the login certificate lacks `permit-port-forwarding`: no jump, no forward. */
  portForwardingPermitted?: boolean;
}

/** `slot` is this channel's place on its connection; it is released on every way out. */
export async function handleDirectTcpip(context: ChannelContext, slot: ChannelSlot, accept: AcceptChannel, reject: RejectChannel, info: TcpipInfo): Promise<void> {
  let relaying = false;
  try {
    relaying = await openAndRelay(context, slot, accept, reject, info);
  } finally {
    if (!relaying) slot.release();
  }
}

/** True once the channel is relayed (the relay then releases the slot when it ends). */
async function openAndRelay(context: ChannelContext, slot: ChannelSlot, accept: AcceptChannel, reject: RejectChannel, info: TcpipInfo): Promise<boolean> {
  const { deps, who, src } = context;
  if (context.portForwardingPermitted === false) {
    const destination = formatHostPort(info.destIP, info.destPort);
    const reason = 'the login certificate does not permit port forwarding';
    reject(OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, `jumpgate: ${who.userName} may not reach ${destination} (${reason})`);
    deps.audit.note({ type: 'access.denied', user: who.userName, src, access: info.destPort === 22 ? 'jump' : 'forward', target: null, destination, reason });
    return false;
  }
  const outcome = await checkTcpAccess(deps, who, info.destIP, info.destPort);
  if (!outcome.allowed) {
    reject(OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, outcome.message);
    deps.audit.note({
      type: 'access.denied', user: who.userName, src, access: outcome.access, target: outcome.target,
      destination: formatHostPort(info.destIP, info.destPort), reason: outcome.reason,
    });
    return false;
  }
  const { route, rule } = outcome;
  const { target, access } = route;
  let upstream: UpstreamChannel;
  try {
    upstream = await deps.upstream.open(route, (failed, failure) => auditUpstreamFailure(deps, who.userName, src, failed.name, failure));
  } catch (error) {
    const message = error instanceof TargetUnreachable ? `jumpgate: ${error.message}` : `jumpgate: ${target.name} unreachable: ${String(error)}`;
    reject(OPEN_FAILURE.CONNECT_FAILED, message);
    return false;
  }
  const jump = new JumpRelay(slot, upstream);
  let admission: SessionAdmission;
  try {
    admission = await context.sessions.start(
      { kind: access, user: who.userName, src, target: target.name, login: null, destination: upstream.address, via: upstream.via, rule },
      stopperOf(jump),
    );
  } catch (error) {
    jump.abandon();
    throw error;
  }
  if (!admission.admitted) {
    jump.abandon();
    reject(OPEN_FAILURE.RESOURCE_SHORTAGE, admission.message);
    deps.audit.note({ type: 'access.denied', user: who.userName, src, access, target: target.name, destination: formatHostPort(info.destIP, info.destPort), reason: admission.reason });
    return false;
  }
  const { session } = admission;
  // Accepted only now: a refusal above still reaches the client as an open failure.
  const channel = accept();
  if (!channel) {
    // The client connection went away while the target was dialed.
    jump.abandon();
    session.finish({ reason: 'closed', bytesUp: 0, bytesDown: 0 });
    return false;
  }
  jump.start(session, channel);
  slot.untilConnectionCloses(jump);
  return true;
}

/**
 * What a relayed channel keeps while it lasts, in one object: an idle jump holds it for
 * hours, and a closure per callback would keep the whole dialing frame alive with it.
 */
class JumpRelay {
  private endReason: 'closed' | 'killed' | 'shutdown' = 'closed';
  private relay: Relay | null = null;
  private session: RegisteredSession | null = null;

  constructor(private readonly slot: ChannelSlot, private readonly upstream: UpstreamChannel) {}

  start(session: RegisteredSession, channel: Duplex): void {
    this.session = session;
    this.relay = relay(channel, this.upstream.stream, this);
  }

  /** The session is told to end (killed, shutdown, limit), or the client connection closed. */
  stop(reason?: EndReason): void {
    if (reason) this.endReason = reason === 'killed' || reason === 'shutdown' ? reason : 'closed';
    this.relay?.stop(reason);
  }

  /** Not relayed after all: the dialed stream is given back. */
  abandon(): void {
    this.upstream.stream.destroy();
    this.upstream.release();
  }

  relayEnded(result: RelayResult): void {
    this.slot.release();
    this.upstream.release();
    this.session?.finish({ reason: result.error && this.endReason === 'closed' ? 'error' : this.endReason, bytesUp: result.bytesUp, bytesDown: result.bytesDown, error: result.error });
  }
}

/** A closure over the relay alone (not over the frame that dialed it). */
function stopperOf(jump: JumpRelay): (reason: EndReason) => void {
  return (reason) => jump.stop(reason);
}

/** `upstream.failure`, and `hostkey.mismatch` when that was the reason (SPEC §6). */
export function auditUpstreamFailure(deps: Pick<GatewayDeps, 'audit'>, user: string | null, src: string | null, target: string, failure: DialAttemptFailure): void {
  deps.audit.note({ type: 'upstream.failure', user, src, target, hop: failure.hop, address: failure.address, why: failure.why });
  if (failure.mismatch) deps.audit.note({ type: 'hostkey.mismatch', user, src, target, hop: failure.hop, ...failure.mismatch });
}
