/**
 * Audit events as RFC 5424 syslog messages: the event's scalar fields as structured data
 * (SD-ID `jumpgate@32473`, the documentation enterprise number of RFC 5612) and its JSON
 * as the message, so a SIEM can index either.
 */
import { hostname } from 'node:os';
import type { AuditEvent } from '../events.js';

const FACILITIES: Record<string, number> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};
export const SEVERITY = { critical: 2, warning: 4, notice: 5, info: 6 } as const;
export const SD_ID = 'jumpgate@32473';

export function facilityCode(name: string): number {
  const code = FACILITIES[name];
  if (code === undefined) throw new Error(`unknown syslog facility ${name}; use one of ${Object.keys(FACILITIES).join(', ')}`);
  return code;
}

/** Alerts are warnings or worse; failures are notices; everything else is informational. */
export function severityOf(event: AuditEvent): number {
  if (event.type === 'alert') return event.name.includes('hostkey') ? SEVERITY.critical : SEVERITY.warning;
  if (event.type === 'hostkey.mismatch') return SEVERITY.warning;
  if (event.type === 'auth.failure' || event.type === 'access.denied' || event.type === 'ban.add' || event.type === 'upstream.failure') return SEVERITY.notice;
  return SEVERITY.info;
}

/** RFC 5424 §6.3.3: `"`, `\` and `]` are escaped in PARAM-VALUE. */
function sdValue(value: unknown): string {
  return String(value).replace(/[\\"\]]/g, (c) => `\\${c}`);
}

/** PARAM-NAME is 1-32 printable ASCII characters except `=`, space, `]` and `"`. */
function sdName(name: string): string {
  return name.replace(/[^\x21-\x7e]|[= \]"]/g, '_').slice(0, 32);
}

export function formatRfc5424(event: AuditEvent, options: { facility: number; appName: string; host?: string; severity?: number }): string {
  const pri = options.facility * 8 + (options.severity ?? severityOf(event));
  const params = Object.entries(event)
    .filter(([, value]) => value !== null && value !== undefined && typeof value !== 'object')
    .map(([key, value]) => `${sdName(key)}="${sdValue(value)}"`)
    .join(' ');
  const host = (options.host ?? hostname()).slice(0, 255) || '-';
  const app = options.appName.replace(/\s/g, '_').slice(0, 48) || '-';
  const msgId = event.type.slice(0, 32);
  return `<${pri}>1 ${event.ts} ${host} ${app} ${process.pid} ${msgId} [${SD_ID} ${params}] ${JSON.stringify(event)}`;
}
