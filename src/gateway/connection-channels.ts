/**
 * The channels one client connection holds (RFC 4254 §5.1), and what must end with the
 * connection. A slot per open channel, up to `ssh.maxChannelsPerConnection`, so one
 * connection cannot take every descriptor and every upstream dial for itself; each slot
 * and each close listener is removed as soon as its channel or upstream is gone, so a
 * long-lived connection that opens and closes channels does not grow.
 */

/** What ends a channel; an object with `stop` saves a closure per channel. */
export type ChannelStop = (() => void) | { stop(): void };

export interface ChannelSlot {
  /** `stop` runs if the connection closes while the channel is open (at once if it has). */
  untilConnectionCloses(stop: ChannelStop): void;
  /** The channel closed or was refused: its slot and its stop are given back. Idempotent. */
  release(): void;
}

export class ConnectionChannels {
  private readonly closeListeners = new Set<{ run(): void }>();
  private slots = 0;
  private connectionClosed = false;

  /**
   * `report` is told of a listener that threw; the others still run. An object with
   * `stopFailed` (the connection itself) saves a closure per connection.
   */
  constructor(readonly limit: number, private readonly report: ((error: unknown) => void) | { stopFailed(error: unknown): void }) {}

  /** Channels open now. */
  get open(): number {
    return this.slots;
  }

  /** Close listeners held now (channels and upstream connections still open). */
  get listening(): number {
    return this.closeListeners.size;
  }

  get closed(): boolean {
    return this.connectionClosed;
  }

  /** A slot for a new channel, or null when the connection holds `limit` channels or has closed. */
  take(): ChannelSlot | null {
    if (this.connectionClosed || this.slots >= this.limit) return null;
    this.slots += 1;
    return new Slot(this);
  }

  /** A slot's stop is listened for (the slot itself is the listener entry: no closure per channel). */
  listen(entry: { run(): void }): boolean {
    if (this.connectionClosed) return false;
    this.closeListeners.add(entry);
    return true;
  }

  /** A slot was released: its place and its close listener are given back. */
  releaseSlot(entry: { run(): void }): void {
    this.slots -= 1;
    this.closeListeners.delete(entry);
  }

  /** Runs `listener` when the connection closes (at once if it has); returns its remover. */
  whenClosed(listener: () => void): () => void {
    if (this.connectionClosed) {
      listener();
      return () => {};
    }
    const entry = { run: listener };
    this.closeListeners.add(entry);
    return () => { this.closeListeners.delete(entry); };
  }

  /** The connection closed: every listener runs once, and no slot is given out any more. */
  close(): void {
    if (this.connectionClosed) return;
    this.connectionClosed = true;
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    for (const listener of listeners) {
      try {
        listener.run();
      } catch (error) {
        if (typeof this.report === 'function') this.report(error);
        else this.report.stopFailed(error);
      }
    }
  }
}

class Slot implements ChannelSlot {
  private released = false;
  private stopper: ChannelStop | null = null;

  constructor(private readonly channels: ConnectionChannels) {}

  untilConnectionCloses(stop: ChannelStop): void {
    if (this.released) return;
    this.stopper = stop;
    if (!this.channels.listen(this)) this.run();
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.stopper = null;
    this.channels.releaseSlot(this);
  }

  /** The connection closed while the channel was open. */
  run(): void {
    const stop = this.stopper;
    if (typeof stop === 'function') stop();
    else stop?.stop();
  }
}
