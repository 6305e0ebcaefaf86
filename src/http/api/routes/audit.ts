/** `GET /api/v1/audit` (filter, and `after` to follow), `POST /api/v1/audit/verify`, `GET /api/v1/audit/export` (signed bundle). */
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseDuration } from '../../../config/duration.js';
import { dataPath } from '../../../config/load-settings.js';
import { verifyAudit } from '../../../audit/verify-audit.js';
import { makeBundle, loadSigningKey, SIGNING_KEY_FILE } from '../../../audit/export-bundle.js';
import type { AuditEvent } from '../../../audit/events.js';
import { badRequest } from '../api-error.js';
import { json, type Route } from '../api-types.js';

/** Events one request returns at most; the next page is asked with `after`. */
const MAX_EVENTS = 1000;

/** `since` is an RFC 3339 time or a duration back from now (`10m`, `24h`), as `jumpgate audit --since`. */
function sinceOf(text: string | null): string | undefined {
  if (text === null || text === '') return undefined;
  const back = parseDuration(text);
  if (back !== null) return new Date(Date.now() - back).toISOString();
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw badRequest(`since must be a time (2026-01-31T10:00:00Z) or a duration (10m), not ${text}`);
  return new Date(time).toISOString();
}

function count(text: string | null, name: string, fallback: number, max: number): number {
  if (text === null || text === '') return fallback;
  if (!/^\d{1,9}$/.test(text)) throw badRequest(`${name} must be a whole number`);
  return Math.min(Number(text), max);
}

export const auditRoutes: Route[] = [
  {
    method: 'GET', path: '/api/v1/audit', need: 'read',
    handle: async (request, deps) => {
      const { query } = request;
      const after = count(query.get('after'), 'after', 0, Number.MAX_SAFE_INTEGER);
      const limit = count(query.get('limit'), 'limit', MAX_EVENTS, MAX_EVENTS);
      const filter = { since: sinceOf(query.get('since')), type: query.get('type') || undefined, user: query.get('user') || undefined };
      // In chain order, a page at a time: a reader asks again with `after` = the last `seq`.
      return json(200, await deps.runtime.stores.audit.list({ ...filter, afterSeq: after, limit }));
    },
  },
  {
    method: 'POST', path: '/api/v1/audit/verify', need: 'read',
    handle: async (_request, deps) => {
      const { stores, dataDir, settings, node } = deps.runtime;
      // An altered chain is an answer, not a failure of the request.
      return json(200, await verifyAudit(stores.audit, dataPath(dataDir, settings.audit.file), node));
    },
  },
  {
    method: 'GET', path: '/api/v1/audit/export', need: 'read',
    handle: async (request, deps) => {
      const { stores, dataDir, node } = deps.runtime;
      const since = sinceOf(request.query.get('since')) ?? new Date(0).toISOString();
      const events = ((await stores.audit.list({ since })) as Array<AuditEvent & { seq?: number }>).map(({ seq: _seq, ...event }) => event);
      const bundle = makeBundle(events, loadSigningKey(path.join(dataDir, SIGNING_KEY_FILE)), { node, since });
      const name = `jumpgate-audit-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
      return {
        status: 200, contentType: 'application/json; charset=utf-8', stream: Readable.from([JSON.stringify(bundle, null, 1) + '\n']),
        headers: { 'content-disposition': `attachment; filename="${name}"` },
      };
    },
  },
];
