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
import type { Logger } from '../log/logger.js';
import { background } from '../runtime/background.js';
import { isRequestStep } from '../requests/access-request.js';

type AlertRule = Settings['audit']['alerts'][number];

export class AlertEngine {
  private readonly recent = new Map<string, AuditEvent[]>();
  private readonly quietUntil = new Map<string, number>();

  constructor(
    private readonly rules: readonly AlertRule[],
    private readonly audit: AuditLog,
    private readonly targets: TargetStore,
    private readonly logger: Pick<Logger, 'error'>,
  ) {}

  start(): void {
    if (this.rules.length > 0) this.audit.subscribe((event) => background(this.logger, 'alert rules', this.observe(event)));
  }

  async observe(event: AuditEvent, now = Date.now()): Promise<void> {
    // Access request steps raise their alerts themselves, one per step, in whichever process takes it (requests/request-alerts.ts).
    if (event.type === 'alert' || isRequestStep(event.type)) return;
    for (const rule of this.rules) {
      if (!matchesType(rule.on, event.type) || !(await this.matches(rule, event))) continue;
      const window = ms(rule.window);
      // Only the last `count` events within the window can trigger the rule: keep no more.
      const events = [...(this.recent.get(rule.name) ?? []), event].filter((e) => now - Date.parse(e.ts) < window).slice(-rule.count);
      this.recent.set(rule.name, events);
      if (events.length < rule.count || now < (this.quietUntil.get(rule.name) ?? 0)) continue;
      this.recent.set(rule.name, []);
      this.quietUntil.set(rule.name, now + window);
      await this.audit.record({
        type: 'alert', user: event.user, src: event.src, name: rule.name, notify: rule.notify, count: events.length, window: rule.window,
        events: events.map(({ prev: _prev, ...rest }) => rest as AuditEvent),
      });
    }
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
