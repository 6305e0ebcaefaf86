/**
 * Prometheus metrics (prom-client), derived from the audit events this process records
 * plus the few numbers events do not carry (dial latency, spool depth).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuditEvent } from '../audit/events.js';
import type { SinkDepth } from '../audit/sinks/audit-sinks.js';

export class Metrics {
  readonly registry = new Registry();
  private readonly sessionsOpen = new Gauge({ name: 'jumpgate_sessions_open', help: 'Sessions open now, by kind', labelNames: ['kind'], registers: [this.registry] });
  private readonly sessionsTotal = new Counter({ name: 'jumpgate_sessions_total', help: 'Sessions started, by kind', labelNames: ['kind'], registers: [this.registry] });
  private readonly auth = new Counter({ name: 'jumpgate_auth_total', help: 'Authentication results', labelNames: ['result', 'method'], registers: [this.registry] });
  private readonly denied = new Counter({ name: 'jumpgate_access_denied_total', help: 'Requests refused by policy', labelNames: ['access'], registers: [this.registry] });
  private readonly bans = new Counter({ name: 'jumpgate_bans_total', help: 'Bans added', registers: [this.registry] });
  private readonly bytes = new Counter({ name: 'jumpgate_bytes_relayed_total', help: 'Bytes relayed, counted when sessions end', labelNames: ['direction'], registers: [this.registry] });
  private readonly alerts = new Counter({ name: 'jumpgate_alerts_total', help: 'Alerts fired', labelNames: ['name'], registers: [this.registry] });
  readonly dialSeconds = new Histogram({
    name: 'jumpgate_upstream_dial_seconds', help: 'Time to reach a target or hop', labelNames: ['outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry],
  });

  constructor(spoolDepths: () => SinkDepth[]) {
    const registry = this.registry;
    new Gauge({
      name: 'jumpgate_audit_spool_bytes', help: 'Audit events waiting for a sink, in bytes', labelNames: ['sink'], registers: [registry],
      collect() { for (const depth of spoolDepths()) this.set({ sink: depth.sink }, depth.bytes); },
    });
    collectDefaultMetrics({ register: registry, prefix: 'jumpgate_process_' });
  }

  observe(event: AuditEvent): void {
    switch (event.type) {
      case 'auth.success': this.auth.inc({ result: 'success', method: event.method }); break;
      case 'auth.failure': this.auth.inc({ result: 'failure', method: event.method }); break;
      case 'access.denied': this.denied.inc({ access: event.access }); break;
      case 'ban.add': this.bans.inc(); break;
      case 'alert': this.alerts.inc({ name: event.name }); break;
      case 'session.start':
        this.sessionsOpen.inc({ kind: event.kind });
        this.sessionsTotal.inc({ kind: event.kind });
        break;
      case 'session.end':
        this.sessionsOpen.dec({ kind: event.kind });
        this.bytes.inc({ direction: 'up' }, event.bytes_up);
        this.bytes.inc({ direction: 'down' }, event.bytes_down);
        break;
    }
  }
}
