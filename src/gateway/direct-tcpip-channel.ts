/**
 * `direct-tcpip` channels (RFC 4254 §7.2): ProxyJump (`ssh -J`, access `jump`) and local
 * forwarding (`ssh -L`, access `forward`). The gateway never sees a jumped session in
 * clear: it checks policy, dials the target and relays bytes.
 */
import type { Duplex } from 'node:stream';
import type { GatewayDeps } from './gateway-deps.js';
import type { LiveSessions, SessionAdmission } from './live-sessions.js';
import { checkTcpAccess, type Requester } from './access-check.js';
import { TargetUnreachable, type UpstreamChannel, type DialAttemptFailure } from '../upstream/upstream-pool.js';
import { formatHostPort } from '../upstream/dial-tcp.js';
import { relay } from './relay.js';
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
  const abandon = () => {
    upstream.stream.destroy();
    upstream.release();
  };
  const destination = upstream.address;
  let stopRelay: (reason?: string) => void = () => {};
  let endReason: 'closed' | 'killed' | 'shutdown' | 'error' = 'closed';
  let admission: SessionAdmission;
  try {
    admission = await context.sessions.start(
      { kind: access, user: who.userName, src, target: target.name, login: null, destination, via: upstream.via, rule },
      (reason) => { endReason = reason === 'killed' || reason === 'shutdown' ? reason : 'closed'; stopRelay(reason); },
    );
  } catch (error) {
    abandon();
    throw error;
  }
  if (!admission.admitted) {
    abandon();
    reject(OPEN_FAILURE.RESOURCE_SHORTAGE, admission.message);
    deps.audit.note({ type: 'access.denied', user: who.userName, src, access, target: target.name, destination: formatHostPort(info.destIP, info.destPort), reason: admission.reason });
    return false;
  }
  const { session } = admission;
  // Accepted only now: a refusal above still reaches the client as an open failure.
  const channel = accept();
  if (!channel) {
    // The client connection went away while the target was dialed.
    abandon();
    session.finish({ reason: 'closed', bytesUp: 0, bytesDown: 0 });
    return false;
  }
  stopRelay = relay(channel, upstream.stream, (result) => {
    slot.release();
    upstream.release();
    session.finish({ reason: result.error && endReason === 'closed' ? 'error' : endReason, bytesUp: result.bytesUp, bytesDown: result.bytesDown, error: result.error });
  });
  slot.untilConnectionCloses(() => stopRelay());
  return true;
}

/** `upstream.failure`, and `hostkey.mismatch` when that was the reason (SPEC §6). */
export function auditUpstreamFailure(deps: Pick<GatewayDeps, 'audit'>, user: string | null, src: string | null, target: string, failure: DialAttemptFailure): void {
  deps.audit.note({ type: 'upstream.failure', user, src, target, hop: failure.hop, address: failure.address, why: failure.why });
  if (failure.mismatch) deps.audit.note({ type: 'hostkey.mismatch', user, src, target, hop: failure.hop, ...failure.mismatch });
}
