/**
 * The terminal of a live proxied shell as other people see it (SPEC §9: watch live, join):
 * what the target printed so far, then each chunk as it comes, and the window size. The
 * SSH channel and the web terminal feed it alike (through the relay's screen tap).
 *
 * Bounded everywhere: the replay kept for late watchers is the last SCREEN_BACKLOG_BYTES of
 * output, at most MAX_VIEWERS look at once, and a viewer that cannot keep up is dropped
 * rather than buffered for (its `output` answers false).
 */
import type { ScreenTap } from './session-relay.js';

export const SCREEN_BACKLOG_BYTES = 1024 * 1024;
export const MAX_VIEWERS = 16;

export interface ScreenViewer {
  /** False when this viewer cannot keep up: it is then dropped with `end('too slow')`. */
  output(data: Buffer): boolean;
  resize(cols: number, rows: number): void;
  /** The session ended (its end reason), or this viewer was dropped. */
  end(reason: string): void;
}

/** What the rule that granted the session says about others seeing it (SPEC §3). */
export interface ScreenRules { join: boolean; notifyWatch: boolean; requireWatcher: boolean }

export interface ScreenOwner { user: string; target: string; login: string }

export type ViewerRole = 'watch' | 'join';

export class SessionScreen implements ScreenTap {
  private readonly backlog: Buffer[] = [];
  private backlogBytes = 0;
  private readonly viewers = new Set<ScreenViewer>();
  private ended: string | null = null;
  private watched = false;
  private readonly watcherWaiters = new Set<() => void>();
  /** Writes one line into the session owner's own terminal. */
  tellUser: (line: string) => void = () => {};
  /** Sends a joiner's keys to the target; null until the relay runs. */
  input: ((data: Buffer) => void) | null = null;

  constructor(readonly owner: ScreenOwner, readonly rules: ScreenRules, private cols: number, private rows: number) {}

  output(data: Buffer): void {
    this.backlog.push(data);
    this.backlogBytes += data.length;
    while (this.backlogBytes > SCREEN_BACKLOG_BYTES && this.backlog.length > 1) this.backlogBytes -= this.backlog.shift()!.length;
    for (const viewer of this.viewers) {
      if (!viewer.output(data)) this.drop(viewer, 'too slow');
    }
  }

  resize(cols: number, rows: number): void {
    this.cols = cols;
    this.rows = rows;
    for (const viewer of this.viewers) viewer.resize(cols, rows);
  }

  /**
   * Adds a viewer: it gets the window size and what was printed so far, then the rest live.
   * Returns how to detach it, or a reason it cannot be added.
   */
  attach(viewer: ScreenViewer, role: ViewerRole): { detach(): void } | { refused: string } {
    if (this.ended !== null) return { refused: 'the session has ended' };
    if (this.viewers.size >= MAX_VIEWERS) return { refused: `${MAX_VIEWERS} people already look at this session` };
    viewer.resize(this.cols, this.rows);
    for (const chunk of this.backlog) {
      if (!viewer.output(chunk)) {
        viewer.end('too slow');
        return { refused: 'too slow to replay the session so far' };
      }
    }
    this.viewers.add(viewer);
    if (role === 'watch' && !this.watched) {
      this.watched = true;
      for (const wake of this.watcherWaiters) wake();
      this.watcherWaiters.clear();
    }
    return { detach: () => this.viewers.delete(viewer) };
  }

  /** Resolves true once someone watches (requireWatcher), false when `abort` is called first. */
  firstWatcher(): { arrived: Promise<boolean>; abort(): void } {
    if (this.watched) return { arrived: Promise.resolve(true), abort: () => {} };
    let settle!: (watched: boolean) => void;
    const arrived = new Promise<boolean>((resolve) => { settle = resolve; });
    const wake = () => settle(true);
    this.watcherWaiters.add(wake);
    return {
      arrived,
      abort: () => {
        this.watcherWaiters.delete(wake);
        settle(false);
      },
    };
  }

  end(reason: string): void {
    if (this.ended !== null) return;
    this.ended = reason;
    for (const viewer of this.viewers) viewer.end(reason);
    this.viewers.clear();
    this.backlog.length = 0;
    this.backlogBytes = 0;
  }

  private drop(viewer: ScreenViewer, reason: string): void {
    this.viewers.delete(viewer);
    viewer.end(reason);
  }
}
