import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertEngine } from './alerts.js';
import { ClusterAlerts } from './cluster-alerts.js';
import type { AuditDraft, AuditEvent } from './events.js';
import type { AuditFilter, StoredAuditEvent } from '../store/store.js';

const T0 = Date.parse('2026-06-01T12:00:00.000Z');
const RULE = { name: 'brute', on: 'auth.failure', count: 5, window: '1m', notify: [] as string[] };

/** One trail and one lease table shared by every process of a pretend cluster. */
function cluster() {
  let clock = T0;
  const trail: StoredAuditEvent[] = [];
  const lease = { holder: '', until: 0 };
  const append = (draft: AuditDraft, node: string) => {
    trail.push({ ...draft, ts: new Date(clock).toISOString(), id: `e${trail.length + 1}`, node, prev: '', hash: '', seq: trail.length + 1 });
  };
  const stores = {
    audit: {
      list: async (filter: AuditFilter) => trail
        .filter((e) => (filter.afterSeq === undefined || e.seq > filter.afterSeq) && (!filter.since || e.ts >= filter.since))
        .slice(0, filter.limit),
    },
    leases: {
      acquire: async (_name: string, holder: string, now: Date, ttlMs: number) => {
        if (lease.holder !== holder && lease.until > now.getTime()) return false;
        Object.assign(lease, { holder, until: now.getTime() + ttlMs });
        return true;
      },
      release: async (_name: string, holder: string) => { if (lease.holder === holder) lease.until = 0; },
    },
  };
  const process = (node: string) => {
    const audit = { record: async (draft: AuditDraft) => { append(draft, node); return trail[trail.length - 1] as AuditEvent; } };
    const engine = new AlertEngine([RULE], audit, { get: async () => null });
    const alerts = new ClusterAlerts({ stores: stores as never, engine, logger: { error: () => {} }, holder: node });
    return { pass: () => alerts.pass(new Date(clock)) };
  };
  const failures = (count: number, node: string) => {
    for (let i = 0; i < count; i++) {
      clock += 1000;
      append({ type: 'auth.failure', user: 'alice', src: '192.0.2.7:40000', method: 'password', reason: 'wrong password' }, node);
    }
  };
  return {
    trail, process, failures,
    advance: (ms: number) => { clock += ms; },
    alerts: () => trail.filter((e) => e.type === 'alert'),
  };
}

describe('alert rules over the whole cluster', () => {
  test('failures spread over two nodes count together; one process raises the alert, once', async () => {
    const c = cluster();
    const a = c.process('a');
    const b = c.process('b');
    await a.pass();
    await b.pass();
    c.failures(2, 'a');
    c.failures(2, 'b');
    await a.pass();
    await b.pass();
    assert.equal(c.alerts().length, 0, 'four failures are below the count');
    c.failures(1, 'b');
    await a.pass();
    await b.pass();
    await a.pass();
    assert.equal(c.alerts().length, 1);
    assert.equal((c.alerts()[0] as { count: number }).count, 5);
    c.failures(3, 'a');
    await a.pass();
    assert.equal(c.alerts().length, 1, 'quiet for a window after it fired');
  });

  test('a process taking the lease over carries the count on from the trail', async () => {
    const c = cluster();
    const a = c.process('a');
    await a.pass();
    c.failures(3, 'a');
    await a.pass();
    // a stops renewing (killed); once its lease has run out, b takes over.
    c.advance(16_000);
    const b = c.process('b');
    await b.pass();
    assert.equal(c.alerts().length, 0);
    c.failures(2, 'b');
    await b.pass();
    assert.equal(c.alerts().length, 1, 'three failures seen by a and two by b are five within the minute');
  });

  test('an alert the former holder raised is not raised again; one it did not live to write is', async () => {
    const raised = cluster();
    const a = raised.process('a');
    await a.pass();
    raised.failures(5, 'a');
    await a.pass();
    assert.equal(raised.alerts().length, 1);
    raised.advance(16_000);
    await raised.process('b').pass();
    assert.equal(raised.alerts().length, 1, 'the trail shows it raised');

    const unwritten = cluster();
    const first = unwritten.process('a');
    await first.pass();
    unwritten.failures(5, 'a');
    // a dies before its next pass reads the fifth failure.
    unwritten.advance(16_000);
    await unwritten.process('b').pass();
    assert.equal(unwritten.alerts().length, 1, 'raised by the new holder');
  });
});
