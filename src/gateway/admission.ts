/**
 * What happens to a TCP connection before any SSH byte is spent on it, as OpenSSH does:
 * the reserve of open files (new connections wait while descriptors run short), the
 * server-wide `allowFrom`, port knocking, bans (closed before the banner), the cap on
 * connections, `maxStartups` for unauthenticated ones (total and per source), and
 * `loginGraceTime` so silent or slow clients cannot hold a slot forever.
 */
import type { Socket } from 'node:net';
import type { GatewayDeps } from './gateway-deps.js';
import type { BanGuard } from './ban-guard.js';
import type { KnockGate } from './port-knock.js';
import type { DescriptorReserve } from './descriptor-reserve.js';
import { addressInAny } from '../domain/cidr.js';
import { ms } from '../config/load-settings.js';
import { plainIp } from './address-text.js';
import type { Ban } from '../store/store.js';

/** `error`: the checks themselves failed (the store is down): closed, as a bastion fails closed. */
export type RefusalReason = 'descriptors' | 'allowFrom' | 'knock' | 'banned' | 'maxConnections' | 'maxStartups' | 'maxStartups.perSource' | 'error';

/** Why a connection is closed before the banner; a banned one carries its ban (the client is told until when). */
export interface Refusal { why: RefusalReason; ban?: Ban }

export interface PreAuthSlot {
  /** Authentication succeeded: the slot is freed and the grace timer stopped. */
  authenticated(): void;
}

export class Admission {
  private connections = 0;
  private unauthenticated = 0;
  private readonly unauthenticatedBySource = new Map<string, number>();

  constructor(
    private readonly deps: Pick<GatewayDeps, 'settings' | 'logger'> & { bans: BanGuard },
    private readonly knock: KnockGate | null,
    private readonly descriptors: DescriptorReserve | null,
  ) {}

  /** Why the connection must be closed now, or null to let it in. */
  async refusal(socket: Socket): Promise<Refusal | null> {
    const { settings } = this.deps;
    if (this.descriptors?.exhausted()) return { why: 'descriptors' };
    const ip = plainIp(socket.remoteAddress);
    if (settings.allowFrom.length > 0 && !addressInAny(ip, settings.allowFrom)) return { why: 'allowFrom' };
    if (this.knock && !this.knock.isOpen(ip)) return { why: 'knock' };
    const ban = await this.deps.bans.activeBan(ip);
    if (ban) return { why: 'banned', ban };
    if (this.connections >= settings.ssh.maxConnections) return { why: 'maxConnections' };
    if (this.unauthenticated >= settings.ssh.maxStartups.total) return { why: 'maxStartups' };
    if ((this.unauthenticatedBySource.get(ip) ?? 0) >= settings.ssh.maxStartups.perSource) return { why: 'maxStartups.perSource' };
    return null;
  }

  /** Counts an admitted connection until it closes, and as pre-auth until it authenticates. */
  admit(socket: Socket): PreAuthSlot {
    const ip = plainIp(socket.remoteAddress);
    this.connections += 1;
    this.unauthenticated += 1;
    this.unauthenticatedBySource.set(ip, (this.unauthenticatedBySource.get(ip) ?? 0) + 1);
    const slot = new Slot(this, ip, setTimeout(graceOver, ms(this.deps.settings.ssh.loginGraceTime), this.deps.logger, ip, socket));
    (socket as Admitted)[SLOT] = slot;
    // 'close' comes once: `on` spares the wrapper `once` would keep for the connection's life.
    socket.on('close', onAdmittedClose);
    return slot;
  }

  /** A connection left pre-auth (authenticated or closed). */
  leftPreAuth(ip: string): void {
    this.unauthenticated -= 1;
    const left = (this.unauthenticatedBySource.get(ip) ?? 1) - 1;
    if (left <= 0) this.unauthenticatedBySource.delete(ip);
    else this.unauthenticatedBySource.set(ip, left);
  }

  /** An admitted connection closed. */
  closed(slot: Slot): void {
    this.connections -= 1;
    slot.authenticated();
  }
}

/** The slot of an admitted socket, kept on it so its close listener is one shared function. */
const SLOT = Symbol('admission');
type Admitted = Socket & { [SLOT]?: Slot };

function onAdmittedClose(this: Admitted): void {
  const slot = this[SLOT];
  if (slot) slot.admission.closed(slot);
}

function graceOver(logger: GatewayDeps['logger'], ip: string, socket: Socket): void {
  logger.info('login grace time over, closing', { address: ip });
  socket.destroy();
}

class Slot implements PreAuthSlot {
  constructor(
    readonly admission: Admission,
    private readonly ip: string,
    /** Let go of once authenticated: an idle session should not keep its spent timer. */
    private grace: NodeJS.Timeout | null,
  ) {}

  authenticated(): void {
    if (!this.grace) return;
    clearTimeout(this.grace);
    this.grace = null;
    this.admission.leftPreAuth(this.ip);
  }
}
