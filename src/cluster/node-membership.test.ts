import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { NodeMembership } from './node-membership.js';
import type { NodeRecord, Stores } from '../store/store.js';
import type { SessionRecord, SessionEnd } from '../domain/session.js';
import type { AuditDraft } from '../audit/events.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** An in-memory node list and session list, shared like a store; the clock in the test's hands. */
function world() {
  let clock = Date.parse('2026-06-01T12:00:00.000Z');
  const nodes = new Map<string, NodeRecord>();
  const sessions: SessionRecord[] = [];
  /** Sessions with a recording in the store. */
  const recordedSessions = new Set<string>(['s1']);
  const stores = {
    nodes: {
      up: async (n: Pick<NodeRecord, 'name' | 'address' | 'version' | 'startedAt'>) => {
        const beats = (nodes.get(n.name)?.beats ?? -1) + 1;
        nodes.set(n.name, { ...n, heartbeatAt: n.startedAt, beats, downAt: null, downReason: null });
      },
      beat: async (name: string, at: string) => {
        const node = nodes.get(name);
        if (!node || node.downAt) return false;
        nodes.set(name, { ...node, heartbeatAt: at, beats: node.beats + 1 });
        return true;
      },
      list: async () => [...nodes.values()].map((n) => ({ ...n })),
      markDown: async (name: string, beats: number | null, at: string, reason: 'shutdown' | 'lost') => {
        const node = nodes.get(name);
        if (!node || node.downAt || (beats !== null && node.beats !== beats)) return false;
        nodes.set(name, { ...node, downAt: at, downReason: reason });
        return true;
      },
    },
    sessions: {
      endOrphans: async (node: string, end: SessionEnd) => {
        const ended = sessions.filter((s) => s.node === node && !s.endedAt);
        for (const s of ended) Object.assign(s, { endedAt: end.endedAt, reason: end.reason });
        return ended.map((s) => ({ ...s }));
      },
    },
    recordings: { recorded: async (ids: readonly string[]) => new Set(ids.filter((id) => recordedSessions.has(id))) },
  } as unknown as Pick<Stores, 'nodes' | 'sessions' | 'recordings'>;
  const events: AuditDraft[] = [];
  const audit = { record: async (draft: AuditDraft) => { events.push(draft); return draft; }, note: (draft: AuditDraft) => { events.push(draft); } };
  const member = (node: string, onDeclaredDead: () => Promise<void> = async () => {}) => new NodeMembership(
    { stores, audit: audit as never, logger: quiet },
    { node, address: `${node}:2222`, version: '1.0.0', heartbeatMs: 1000, deadAfterMs: 5000, onDeclaredDead, now: () => clock },
  );
  const session = (id: string, node: string): SessionRecord => ({
    id, node, kind: 'jump', user: 'alice', src: '192.0.2.1:5000', target: 'db1', login: null, destination: '10.0.2.5:22', via: null,
    startedAt: new Date(clock).toISOString(), endedAt: null, reason: null, bytesUp: 0, bytesDown: 0,
  });
  return { nodes, sessions, events, member, session, advance: (ms: number) => { clock += ms; } };
}

const tick = (member: NodeMembership) => member.tick();

describe('NodeMembership', () => {
  test('a node whose heartbeat stands still for deadAfter is declared dead once; its sessions end as node_lost', async () => {
    const w = world();
    const a = w.member('a');
    const b = w.member('b');
    const c = w.member('c');
    for (const m of [a, b, c]) await m.join();
    w.sessions.push(w.session('s1', 'a'), w.session('s2', 'a'), w.session('s3', 'b'));
    w.events.length = 0;

    // A beats for a while, then stops beating (killed); B and C keep watching.
    for (let i = 0; i < 3; i++) {
      w.advance(1000);
      for (const m of [a, b, c]) await tick(m);
    }
    for (let i = 0; i < 4; i++) {
      w.advance(1000);
      for (const m of [b, c]) await tick(m);
    }
    assert.equal(w.nodes.get('a')?.downAt, null, 'declared dead before deadAfter');
    for (let i = 0; i < 3; i++) {
      w.advance(1000);
      for (const m of [b, c]) await tick(m);
    }
    assert.equal(w.nodes.get('a')?.downReason, 'lost');
    const downs = w.events.filter((e) => e.type === 'node.down');
    assert.equal(downs.length, 1, 'one node.down, whichever node got there first');
    assert.equal((downs[0] as { sessions_lost: number }).sessions_lost, 2);
    const ends = w.events.filter((e) => e.type === 'session.end');
    assert.deepEqual(ends.map((e) => [(e as { session: string }).session, (e as { reason: string }).reason]), [['s1', 'node_lost'], ['s2', 'node_lost']]);
    assert.deepEqual(ends.map((e) => (e as { recording: string | null }).recording), ['s1.cast', null], 'a recorded session names its recording, replayable from any node');
    assert.equal(w.sessions.find((s) => s.id === 's3')?.endedAt, null, 'a live node\'s session is left alone');
    assert.equal(w.nodes.get('b')?.downAt, null);
  });

  test('a node declared dead while it stalled ends its own sessions quietly and joins again', async () => {
    const w = world();
    let endedHere = 0;
    const a = w.member('a', async () => { endedHere += 1; });
    await a.join();
    w.nodes.set('a', { ...w.nodes.get('a')!, downAt: '2026-06-01T12:00:30.000Z', downReason: 'lost' });
    w.events.length = 0;
    w.advance(1000);
    await tick(a);
    assert.equal(endedHere, 1);
    assert.equal(w.nodes.get('a')?.downAt, null, 'up again');
    assert.deepEqual(w.events.map((e) => e.type), ['node.up']);
  });

  test('a clean stop records node.down with reason shutdown', async () => {
    const w = world();
    const a = w.member('a');
    await a.join();
    await a.stop();
    assert.equal(w.nodes.get('a')?.downReason, 'shutdown');
    assert.deepEqual(w.events.map((e) => e.type), ['node.up', 'node.down']);
  });
});
