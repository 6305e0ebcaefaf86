/**
 * `requireWatcher: true` (SPEC §3, four eyes): the proxied shell is registered but held
 * until an `admin: read` person watches it (session-screen.ts); only then is the target's
 * shell opened. The SSH channel and the web terminal are held alike.
 */
import type { ClientSide } from './session-relay.js';
import type { SessionScreen } from './session-screen.js';
import type { EndReason } from '../domain/session.js';

export type WaitOutcome = 'watched' | { reason: EndReason; message: string; error: string };

/**
 * Holds a session whose rule says `requireWatcher: true` until an `admin: read` person
 * watches it. The wait is bounded by `sessions.idleTimeout` (a session waiting is idle);
 * the user leaving, a kill or a shutdown end it too.
 */
export async function waitForWatcher(channel: ClientSide, screen: SessionScreen, limitMs: number, onStop: (stop: (reason: EndReason) => void) => void): Promise<WaitOutcome> {
  const newline = '\r\n';
  channel.stderr.write(`jumpgate: waiting for a watcher: this session starts when an operator watches it${newline}`);
  const wait = screen.firstWatcher();
  let outcome: WaitOutcome = 'watched';
  const stopWith = (next: Exclude<WaitOutcome, 'watched'>) => {
    outcome = next;
    wait.abort();
  };
  onStop((reason) => stopWith({ reason, message: reason === 'killed' ? 'jumpgate: session ended by an operator' : 'jumpgate: the gateway is shutting down', error: `${reason} while waiting for a watcher` }));
  const left = () => stopWith({ reason: 'closed', message: 'jumpgate: closed', error: 'the user left while waiting for a watcher' });
  channel.once('close', left);
  const timer = limitMs > 0
    ? setTimeout(() => stopWith({ reason: 'idle', message: `jumpgate: no watcher came within ${Math.round(limitMs / 1000)}s; closing`, error: 'no watcher came (requireWatcher)' }), limitMs)
    : null;
  const watched = await wait.arrived;
  if (timer) clearTimeout(timer);
  channel.removeListener('close', left);
  return watched ? 'watched' : outcome;
}

