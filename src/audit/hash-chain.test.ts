import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { GENESIS, canonicalJson, findChainBreak, hashEvent, sealEvent } from './hash-chain.js';
import type { AuditDraft, AuditEvent } from './events.js';

const DRAFTS: AuditDraft[] = [
  { type: 'auth.success', user: 'alice', src: '203.0.113.7:50000', method: 'publickey' },
  { type: 'session.start', user: 'alice', src: '203.0.113.7:50000', session: 's1', kind: 'jump', target: 'db1', login: null, destination: '10.0.2.5:22' },
  { type: 'auth.failure', user: 'mallory', src: '198.51.100.1:40000', method: 'password', reason: 'wrong password' },
  { type: 'access.denied', user: 'alice', src: '203.0.113.7:50001', access: 'forward', target: 'db1', destination: 'db1:5432', reason: 'no rule grants port 5432' },
];

function chain(drafts: readonly AuditDraft[] = DRAFTS): AuditEvent[] {
  const events: AuditEvent[] = [];
  let prev = GENESIS;
  for (const [i, draft] of drafts.entries()) {
    const event = sealEvent(draft, prev, 'node-a', new Date(Date.UTC(2024, 0, 1, 12, 0, i)));
    events.push(event);
    prev = event.hash;
  }
  return events;
}

describe('sealEvent', () => {
  test('links each event to the one before it, starting at GENESIS', () => {
    const events = chain();
    assert.equal(GENESIS, '0'.repeat(64));
    assert.equal(events[0].prev, GENESIS);
    for (let i = 1; i < events.length; i++) assert.equal(events[i].prev, events[i - 1].hash);
  });

  test('stamps ts, id and node and keeps the draft', () => {
    const [event] = chain(DRAFTS.slice(0, 1));
    assert.equal(event.ts, '2024-01-01T12:00:00.000Z');
    assert.match(event.id, /^[0-9a-f-]{36}$/);
    assert.equal(event.node, 'node-a');
    assert.equal(event.type, 'auth.success');
    assert.equal(event.user, 'alice');
    assert.equal(event.src, '203.0.113.7:50000');
  });

  test('hash is SHA-256 hex and recomputes from the event', () => {
    for (const event of chain()) {
      assert.match(event.hash, /^[0-9a-f]{64}$/);
      assert.equal(hashEvent(event), event.hash);
    }
  });

  test('gives every event its own id and hash even for identical drafts', () => {
    const events = chain([DRAFTS[0], DRAFTS[0]]);
    assert.notEqual(events[0].id, events[1].id);
    assert.notEqual(events[0].hash, events[1].hash);
  });

  test('the hash survives a JSON round trip with keys in another order', () => {
    const [event] = chain(DRAFTS.slice(0, 1));
    const reordered = Object.fromEntries(Object.entries(JSON.parse(JSON.stringify(event)) as Record<string, unknown>).reverse()) as unknown as AuditEvent;
    assert.equal(hashEvent(reordered), event.hash);
  });
});

describe('canonicalJson', () => {
  test('sorts keys at every depth and keeps array order', () => {
    const value = { b: 1, a: { d: [{ z: 1, y: 2 }, 3], c: null } };
    assert.equal(canonicalJson(value), '{"a":{"c":null,"d":[{"y":2,"z":1},3]},"b":1}');
  });

  test('is the same for the same data in any key order', () => {
    assert.equal(canonicalJson({ x: { q: 1, p: 2 }, w: 'v' }), canonicalJson({ w: 'v', x: { p: 2, q: 1 } }));
  });

  test('leaves out undefined values and writes scalars as JSON', () => {
    assert.equal(canonicalJson({ a: undefined, b: 'x' }), '{"b":"x"}');
    assert.equal(canonicalJson('a"b'), '"a\\"b"');
    assert.equal(canonicalJson(42), '42');
    assert.equal(canonicalJson(null), 'null');
  });
});

describe('findChainBreak', () => {
  test('returns null for an intact chain', () => {
    assert.equal(findChainBreak(chain()), null);
    assert.equal(findChainBreak(chain(), GENESIS), null);
    assert.equal(findChainBreak([]), null);
  });

  test('finds an altered field', () => {
    const events = chain();
    events[2] = { ...events[2], user: 'alice' };
    const broken = findChainBreak(events);
    assert.deepEqual(broken, { index: 2, id: events[2].id, reason: 'hash mismatch (event altered)' });
  });

  test('finds an altered field whose hash was recomputed, at the next event', () => {
    const events = chain();
    const forged = { ...events[1], target: 'db2' } as AuditEvent;
    events[1] = { ...forged, hash: hashEvent(forged) };
    const broken = findChainBreak(events);
    assert.equal(broken?.index, 2);
    assert.equal(broken?.id, events[2].id);
    assert.match(broken?.reason ?? '', /removed or reordered/);
  });

  test('finds a removed event', () => {
    const events = chain();
    const removed = [events[0], events[1], events[3]];
    const broken = findChainBreak(removed);
    assert.equal(broken?.index, 2);
    assert.equal(broken?.id, events[3].id);
    assert.match(broken?.reason ?? '', /removed or reordered/);
  });

  test('finds a removed first event when the chain must start at GENESIS', () => {
    const events = chain().slice(1);
    const broken = findChainBreak(events, GENESIS);
    assert.equal(broken?.index, 0);
    assert.match(broken?.reason ?? '', /removed or reordered/);
  });

  test('finds a reordered pair', () => {
    const events = chain();
    const swapped = [events[0], events[2], events[1], events[3]];
    const broken = findChainBreak(swapped);
    assert.equal(broken?.index, 1);
    assert.equal(broken?.id, events[2].id);
    assert.match(broken?.reason ?? '', /removed or reordered/);
  });

  test('finds an altered first event', () => {
    const events = chain();
    events[0] = { ...events[0], ts: '2024-01-01T11:00:00.000Z' };
    assert.deepEqual(findChainBreak(events), { index: 0, id: events[0].id, reason: 'hash mismatch (event altered)' });
  });

  test('reports something that is not an event', () => {
    const events: unknown[] = [...chain().slice(0, 2), { id: 'x', type: 'auth.success' }];
    assert.deepEqual(findChainBreak(events), { index: 2, id: 'x', reason: 'not an audit event (no hash or prev)' });
    assert.equal(findChainBreak([null])?.index, 0);
    assert.equal(findChainBreak(['text'])?.index, 0);
  });
});
