/**
 * Notifications of access requests (SPEC §12): an `audit.alerts` rule whose `on` matches a
 * request step (`on: request`, or `request.create`…) raises one alert for every such step,
 * without counting or waiting a window: each request is somebody waiting for an answer. The
 * alert is recorded by the process that took the step (the gateway for SSH and the console,
 * `jumpgate request` at the command line), so it reaches the sinks named in `notify` whichever
 * process and node it was.
 */
import type { Settings } from '../config/settings-schema.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AuditEvent } from '../audit/events.js';
import { matchesType } from '../audit/alerts.js';
import { isRequestStep } from './access-request.js';

export async function alertOnSteps(deps: { settings: Pick<Settings, 'audit'>; audit: AuditLog }, events: readonly AuditEvent[]): Promise<void> {
  for (const event of events) {
    if (!isRequestStep(event.type)) continue;
    for (const rule of deps.settings.audit.alerts) {
      if (!matchesType(rule.on, event.type)) continue;
      // A request step names no target: a rule narrowed to targets or labels is not about it.
      if (rule.match?.targets || rule.match?.labels) continue;
      if (rule.match?.users && !(event.user && rule.match.users.includes(event.user))) continue;
      const { prev: _prev, ...shown } = event;
      // The step is done and recorded; an alert that cannot be written is reported by the audit log, not undone.
      await deps.audit.record({
        type: 'alert', user: event.user, src: event.src, name: rule.name, notify: rule.notify, count: 1, window: rule.window, events: [shown as AuditEvent],
      }).catch(() => {});
    }
  }
}
