/**
 * The gateway's side of one MS-TSGU tunnel (§3.3.5) as a strict state machine: each client
 * packet is allowed in one state only, and anything else ends the tunnel. Pure: it says
 * what to send and what to decide (the PAA cookie, the channel's resource), and is told the
 * answers, so the decisions and the I/O live elsewhere (tunnel-session.ts).
 *
 *   handshake → tunnel-create → [cookie checked] → tunnel-auth → channel-create
 *     → [channel opened] → open → closed
 */
import {
  EXTENDED_AUTH_PAA, HRESULT, channelResponse, closeChannel, handshakeResponse, isRdpProtocol, tunnelAuthResponse, tunnelResponse,
  type ClientPacket, type Hresult,
} from './tsgu-packets.js';

export type TunnelState =
  | 'handshake' | 'tunnel-create' | 'checking-cookie' | 'tunnel-auth' | 'channel-create' | 'opening-channel' | 'open' | 'closing' | 'closed';

export type Step =
  /** Send `packet` and wait for the next one. */
  | { kind: 'send'; packet: Buffer }
  /** Nothing to do (a keepalive). */
  | { kind: 'none' }
  /** Judge the PAA cookie, then call `cookieChecked`. */
  | { kind: 'check-cookie'; cookie: string }
  /** Judge and dial the resource, then call `channelOpened` or `channelRefused`. */
  | { kind: 'open-channel'; host: string; port: number }
  /** Relay these bytes to the target. */
  | { kind: 'data'; data: Buffer }
  /** Send `packet` (when there is one) and end the tunnel; `refusal` when the protocol's error code refused the client. */
  | { kind: 'end'; packet: Buffer | null; reason: string; refusal?: Hresult };

export class TunnelMachine {
  private current: TunnelState = 'handshake';

  constructor(private readonly ids: { tunnelId: number; channelId: number; idleTimeoutMinutes: number }) {}

  get state(): TunnelState {
    return this.current;
  }

  receive(packet: ClientPacket): Step {
    if (this.current === 'closed') return this.end(null, 'a packet after the tunnel closed');
    if (packet.type === 'keepalive' && this.current !== 'handshake') return { kind: 'none' };
    if (packet.type === 'close-channel') return this.end(closeChannel(HRESULT.OK, true), 'closed by the client');
    if (packet.type === 'close-channel-response' && this.current === 'closing') return this.end(null, 'closed');
    switch (this.current) {
      case 'handshake':
        if (packet.type !== 'handshake') break;
        if (packet.versionMajor !== 1) return this.refuse(handshakeResponse, HRESULT.E_PROXY_CAPABILITYMISMATCH, `protocol version ${packet.versionMajor}.${packet.versionMinor}`);
        if ((packet.extendedAuth & EXTENDED_AUTH_PAA) === 0) {
          return this.refuse(handshakeResponse, HRESULT.E_PROXY_UNSUPPORTED_AUTHENTICATION_METHOD, 'the client offers no gateway access token');
        }
        this.current = 'tunnel-create';
        return { kind: 'send', packet: handshakeResponse(HRESULT.OK) };
      case 'tunnel-create':
        if (packet.type !== 'tunnel-create') break;
        if (!packet.paaCookie) return this.refuse(tunnelResponse, HRESULT.E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED, 'no gateway access token');
        this.current = 'checking-cookie';
        return { kind: 'check-cookie', cookie: packet.paaCookie };
      case 'tunnel-auth':
        if (packet.type !== 'tunnel-auth') break;
        this.current = 'channel-create';
        return { kind: 'send', packet: tunnelAuthResponse(HRESULT.OK, this.ids.idleTimeoutMinutes) };
      case 'channel-create':
        if (packet.type !== 'channel-create') break;
        if (!isRdpProtocol(packet.protocol)) return this.refuse(channelResponse, HRESULT.E_PROXY_RAP_ACCESSDENIED, `protocol ${packet.protocol} is not RDP`);
        this.current = 'opening-channel';
        return { kind: 'open-channel', host: packet.resources[0], port: packet.port };
      case 'open':
        if (packet.type !== 'data') break;
        return { kind: 'data', data: packet.data };
      default:
        break;
    }
    return this.end(null, `unexpected ${describe(packet)} while ${this.current}`);
  }

  /** The answer to `check-cookie`. */
  cookieChecked(accepted: boolean, reason = 'gateway access token refused'): Step {
    this.expect('checking-cookie');
    if (!accepted) return this.refuse(tunnelResponse, HRESULT.E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED, reason);
    this.current = 'tunnel-auth';
    return { kind: 'send', packet: tunnelResponse(HRESULT.OK, this.ids.tunnelId) };
  }

  /** The answer to `open-channel`: relaying may begin. */
  channelOpened(): Step {
    this.expect('opening-channel');
    this.current = 'open';
    return { kind: 'send', packet: channelResponse(HRESULT.OK, this.ids.channelId) };
  }

  channelRefused(error: Hresult, reason: string): Step {
    this.expect('opening-channel');
    return this.refuse(channelResponse, error, reason);
  }

  /** The gateway ends an open channel (killed, idle, target gone): the client answers with a close response. */
  close(status: Hresult, reason: string): Step {
    if (this.current !== 'open') return this.end(null, reason);
    this.current = 'closing';
    return { kind: 'send', packet: closeChannel(status) };
  }

  private expect(state: TunnelState): void {
    if (this.current !== state) throw new Error(`tunnel answer given while ${this.current}, not ${state}`);
  }

  private refuse(build: (error: Hresult) => Buffer, error: Hresult, reason: string): Step {
    this.current = 'closed';
    return { kind: 'end', packet: build(error), reason, refusal: error };
  }

  private end(packet: Buffer | null, reason: string): Step {
    this.current = 'closed';
    return { kind: 'end', packet, reason };
  }
}

function describe(packet: ClientPacket): string {
  return packet.type === 'other' ? `packet type 0x${packet.packetType.toString(16)}` : `${packet.type} packet`;
}
