/**
 * Alert rules (`audit.alerts`): when `count` events of type `on` (narrowed by `match`)
 * happen within `window`, an `alert` event is recorded with the events that triggered it;
 * the sinks named in `notify` receive it even when they take no other events, syslog at
 * warning or worse. A rule that fired waits a window before it fires again.
 */
import type { Settings } from '../config/settings-schema.js';
import type { AuditEvent } from './events.js';
import type { AuditLog } from './audit-log.js';
import type { TargetStore } from '../store/store.js';
import { ms } from '../config/load-settings.js';
import { isRequestStep } from '../requests/access-request.js';

type AlertRule = Settings['audit']['alerts'][number];

export class AlertEngine {
  private readonly recent = new Map<string, AuditEvent[]>();
  private readonly quietUntil = new Map<string, number>();
  /** Alerts a replay found due: raised by raisePending unless the trail shows them raised. */
  private readonly pending = new Map<string, { rule: AlertRule; events: AuditEvent[]; trigger: AuditEvent }>();

  constructor(
    private readonly rules: readonly AlertRule[],
    private readonly audit: Pick<AuditLog, 'record'>,
    private readonly targets: Pick<TargetStore, 'get'>,
  ) {}

  hasRules(): boolean {
    return this.rules.length > 0;
  }

  longestWindowMs(): number {
    return Math.max(0, ...this.rules.map((rule) => ms(rule.window)));
  }

  /** Forgets every count and quiet period (before a replay rebuilds them from the trail). */
  reset(): void {
    this.recent.clear();
    this.quietUntil.clear();
    this.pending.clear();
  }

  /**
   * Counts one event of the trail, in trail order; windows are measured in the events' own
   * time. With `replay`, a rule that comes due is only noted (see raisePending).
   */
  async observe(event: AuditEvent, options: { replay?: boolean } = {}): Promise<void> {
    const at = Date.parse(event.ts);
    if (event.type === 'alert') {
      // Raised already (by this process or a former holder): its rule's count starts again.
      const rule = this.rules.find((r) => r.name === event.name);
      if (rule) this.quiet(rule, at);
      this.pending.delete(String(event.name));
      return;
    }
    // Access request steps raise their alerts themselves, one per step, in whichever process takes it (requests/request-alerts.ts).
    if (isRequestStep(event.type)) return;
    for (const rule of this.rules) {
      if (!matchesType(rule.on, event.type) || !(await this.matches(rule, event))) continue;
      const window = ms(rule.window);
      // Only the last `count` events within the window can trigger the rule: keep no more.
      const events = [...(this.recent.get(rule.name) ?? []), event].filter((e) => at - Date.parse(e.ts) < window).slice(-rule.count);
      this.recent.set(rule.name, events);
      if (events.length < rule.count || at < (this.quietUntil.get(rule.name) ?? 0)) continue;
      this.quiet(rule, at);
      if (options.replay) this.pending.set(rule.name, { rule, events, trigger: event });
      else await this.raise(rule, events, event);
    }
  }

  /** Raises the alerts a replay found due that the trail does not hold. */
  async raisePending(): Promise<void> {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const { rule, events, trigger } of due) await this.raise(rule, events, trigger);
  }

  /** A rule that fired waits a window before it fires again. */
  private quiet(rule: AlertRule, at: number): void {
    this.recent.set(rule.name, []);
    this.quietUntil.set(rule.name, at + ms(rule.window));
  }

  private async raise(rule: AlertRule, events: AuditEvent[], trigger: AuditEvent): Promise<void> {
    await this.audit.record({
      type: 'alert', user: trigger.user, src: trigger.src, name: rule.name, notify: rule.notify, count: events.length, window: rule.window,
      events: events.map(({ prev: _prev, ...rest }) => rest as AuditEvent),
    });
  }

  private async matches(rule: AlertRule, event: AuditEvent): Promise<boolean> {
    const match = rule.match;
    if (!match) return true;
    if (match.users && !(event.user && match.users.includes(event.user))) return false;
    const target = 'target' in event && typeof event.target === 'string' ? event.target : null;
    if (match.targets && !(target && match.targets.includes(target))) return false;
    if (match.labels) {
      const found = target ? await this.targets.get(target) : null;
      if (!found || !Object.entries(match.labels).every(([k, v]) => found.labels[k] === v)) return false;
    }
    return true;
  }
}

/** `on: session` matches `session.start` and `session.end`; `on: auth.failure` matches itself. */
export function matchesType(on: string, type: string): boolean {
  return type === on || type.startsWith(`${on}.`);
}
