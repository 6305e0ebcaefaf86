/**
 * Tamper evidence beyond the single file: size-based rotation keeps the hash chain
 * across `audit-<time>.log` files, `jumpgate audit verify` checks the rotated files
 * too, and `jumpgate audit export` writes a signed bundle that `audit verify-export`
 * checks offline.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { settingsWith, startGateway, type AuditEvent, type Gateway } from '../helpers/gateway.js';
import { allOutput, describeRun } from '../helpers/ssh-client.js';
import { suiteFixture } from '../helpers/suite-fixture.js';

const ROTATE_BYTES = 20 * 1024;
const GENESIS = '0'.repeat(64);

/** The rotated audit files in the data dir, oldest first (their names sort in chain order). */
function rotatedFiles(dataDir: string): string[] {
  return fs.readdirSync(dataDir).filter((f) => /^audit-.+\.log$/.test(f)).sort().map((f) => path.join(dataDir, f));
}

function readEvents(file: string): AuditEvent[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as AuditEvent);
}

/** Every event of the trail: the rotated files, then audit.log. */
function allEvents(g: Gateway): AuditEvent[] {
  return [...rotatedFiles(g.dataDir), g.auditLogPath()].flatMap(readEvents);
}

/** The README's hash: SHA-256 over the previous hash, a newline, and the canonical JSON (keys sorted, `hash` left out). */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function hashOf(event: AuditEvent): string {
  const { hash: _hash, ...rest } = event;
  return createHash('sha256').update(String(rest.prev)).update('\n').update(canonicalJson(rest)).digest('hex');
}

/** `count` config.change events from one `jumpgate apply` of that many new users. */
async function addUsers(g: Gateway, first: number, count: number): Promise<void> {
  const docs = Array.from({ length: count }, (_, k) => `kind: User\nname: trail-${String(first + k).padStart(4, '0')}\nroles: []\n`);
  await g.apply(docs.join('---\n'));
}

interface Bundle {
  format: string;
  count: number;
  firstPrev: string | null;
  head: string | null;
  publicKey: string;
  signature: string;
  events: AuditEvent[];
  [field: string]: unknown;
}

describe('audit rotation keeps the chain; verify checks rotated files; signed exports', () => {
  const g = suiteFixture(() =>
    startGateway({ settings: settingsWith([[['http', 'listen'], ''], [['audit', 'rotateSize'], '20KB']]) }),
  );

  test('past rotateSize audit.log rotates into audit-<time>.log files and the chain runs on across them', { timeout: 60_000 }, async () => {
    // About 400 bytes an event: 200 events fill four files or so.
    await addUsers(g, 0, 200);
    const rotated = rotatedFiles(g.dataDir);
    assert.ok(rotated.length >= 3, `expected several rotated files with rotateSize 20KB, got: ${fs.readdirSync(g.dataDir).join(', ')}`);
    for (const file of rotated) {
      const size = fs.statSync(file).size;
      assert.ok(size > 0 && size <= ROTATE_BYTES, `${path.basename(file)} is ${size} bytes; rotateSize is ${ROTATE_BYTES}`);
      assert.equal(fs.statSync(file).mode & 0o077, 0, `${path.basename(file)} must be private to its owner`);
    }
    assert.ok(fs.existsSync(g.auditLogPath()), 'audit.log goes on after rotation');

    const events = allEvents(g);
    assert.equal(events.filter((e) => e.type === 'config.change' && String(e.name).startsWith('trail-')).length, 200, 'no event lost in rotation');
    assert.equal(events[0].prev, GENESIS, 'the oldest rotated file starts the chain');
    for (let i = 1; i < events.length; i += 1) {
      assert.equal(events[i].prev, events[i - 1].hash, `event #${i + 1} (${events[i].id}) does not chain to the one before it`);
      assert.equal(hashOf(events[i]), events[i].hash, `event #${i + 1} hash`);
    }

    const verify = await g.jumpgate(['audit', 'verify']);
    assert.equal(verify.code, 0, describeRun(verify));
    assert.match(verify.stdout, new RegExp(`\\b${events.length}\\b`), `audit verify should count every event of every file (${events.length}):\n${describeRun(verify)}`);
  });

  test('altering one byte in a rotated file makes audit verify fail naming that file and event', { timeout: 60_000 }, async () => {
    const rotated = rotatedFiles(g.dataDir);
    assert.ok(rotated.length >= 3, 'needs the files of the test before');
    const victim = rotated[1];
    const original = fs.readFileSync(victim);
    const lines = original.toString('utf8').split('\n');
    const index = Math.floor(lines.filter((l) => l !== '').length / 2);
    const event = JSON.parse(lines[index]) as AuditEvent;
    // One byte: the last digit of the user name the event is about.
    const at = original.indexOf(`"name":"${String(event.name)}"`, original.indexOf(event.id));
    assert.ok(at > 0, `"name" of ${event.id} in ${victim}`);
    const digit = at + `"name":"${String(event.name)}`.length - 1;
    const altered = Buffer.from(original);
    altered[digit] = altered[digit] === 0x30 ? 0x31 : 0x30;
    fs.writeFileSync(victim, altered);
    try {
      const r = await g.jumpgate(['audit', 'verify']);
      assert.equal(r.code, 1, describeRun(r));
      const out = allOutput(r);
      assert.ok(out.includes(path.basename(victim)), `audit verify should name ${path.basename(victim)}:\n${describeRun(r)}`);
      assert.ok(out.includes(event.id), `audit verify should name event ${event.id}:\n${describeRun(r)}`);
    } finally {
      fs.writeFileSync(victim, original);
    }
    const restored = await g.jumpgate(['audit', 'verify']);
    assert.equal(restored.code, 0, `restored: ${describeRun(restored)}`);
  });

  test('removing a line or a whole rotated file breaks the chain too', { timeout: 60_000 }, async () => {
    const rotated = rotatedFiles(g.dataDir);
    const victim = rotated[1];
    const original = fs.readFileSync(victim);
    const lines = original.toString('utf8').split('\n');
    const removedLine = lines.splice(2, 1)[0];
    fs.writeFileSync(victim, lines.join('\n'));
    try {
      const r = await g.jumpgate(['audit', 'verify']);
      assert.equal(r.code, 1, `a line removed from ${path.basename(victim)} (${removedLine.slice(0, 80)}…): ${describeRun(r)}`);
      assert.ok(allOutput(r).includes(path.basename(victim)), `audit verify should name ${path.basename(victim)}:\n${describeRun(r)}`);
    } finally {
      fs.writeFileSync(victim, original);
    }

    const aside = path.join(g.workDir, path.basename(victim));
    fs.renameSync(victim, aside);
    try {
      const r = await g.jumpgate(['audit', 'verify']);
      assert.equal(r.code, 1, `${path.basename(victim)} removed: ${describeRun(r)}`);
    } finally {
      fs.renameSync(aside, victim);
    }
    const restored = await g.jumpgate(['audit', 'verify']);
    assert.equal(restored.code, 0, `restored: ${describeRun(restored)}`);
  });

  test('audit export writes a signed bundle that verify-export accepts, and names an altered event or a bad signature', { timeout: 90_000 }, async () => {
    const bundleFile = path.join(g.workDir, 'bundle.json');
    const exported = await g.jumpgate(['audit', 'export', '--since', '1h', '-o', bundleFile]);
    assert.equal(exported.code, 0, describeRun(exported));
    const bundle = JSON.parse(fs.readFileSync(bundleFile, 'utf8')) as Bundle;
    const events = allEvents(g);
    assert.deepEqual(bundle.events.map((e) => e.id), events.map((e) => e.id), 'the bundle holds every event of the last hour, rotated files included, in order');
    assert.deepEqual(bundle.events, events, 'the bundle\'s events are the audit files\' events');
    assert.equal(bundle.count, events.length);
    assert.equal(bundle.head, events.at(-1)!.hash, 'the head is the last event\'s hash');

    const ok = await g.jumpgate(['audit', 'verify-export', bundleFile]);
    assert.equal(ok.code, 0, describeRun(ok));

    const check = async (label: string, edit: (b: Bundle) => void, expectInOutput?: string | RegExp): Promise<void> => {
      const copy = JSON.parse(JSON.stringify(bundle)) as Bundle;
      edit(copy);
      const file = path.join(g.workDir, `bundle-${label.replace(/\W+/g, '-')}.json`);
      fs.writeFileSync(file, JSON.stringify(copy, null, 1));
      const r = await g.jumpgate(['audit', 'verify-export', file]);
      assert.equal(r.code, 1, `${label}: ${describeRun(r)}`);
      if (typeof expectInOutput === 'string') assert.ok(allOutput(r).includes(expectInOutput), `${label}: output should name ${expectInOutput}:\n${describeRun(r)}`);
      else if (expectInOutput) assert.match(allOutput(r), expectInOutput, `${label}:\n${describeRun(r)}`);
    };

    const middle = Math.floor(bundle.events.length / 2);
    const target = bundle.events[middle];
    await check('an altered event', (b) => {
      b.events[middle].name = `${String(target.name)}-renamed`;
    }, target.id);
    await check('an altered signature', (b) => {
      const sig = Buffer.from(b.signature, 'base64');
      sig[0] = sig[0] ^ 0x01;
      b.signature = sig.toString('base64');
    }, /signature/i);
    await check('an event removed', (b) => {
      b.events.splice(middle, 1);
    });
    await check('an event removed and the count adjusted', (b) => {
      b.events.splice(middle, 1);
      b.count -= 1;
    });
    // Whoever rewrites the chain consistently after altering an event still
    // cannot sign the new head with the gateway's key.
    await check('an event altered and the chain rehashed', (b) => {
      b.events[middle].name = `${String(target.name)}-renamed`;
      for (let i = middle; i < b.events.length; i += 1) {
        if (i > middle) b.events[i].prev = b.events[i - 1].hash;
        b.events[i].hash = hashOf(b.events[i]);
      }
      b.head = b.events.at(-1)!.hash;
    }, /signature/i);

    // A later --since exports a suffix of the chain, which verifies on its own.
    const sinceFile = path.join(g.workDir, 'bundle-since.json');
    const since = await g.jumpgate(['audit', 'export', '--since', target.ts, '-o', sinceFile]);
    assert.equal(since.code, 0, describeRun(since));
    const suffix = JSON.parse(fs.readFileSync(sinceFile, 'utf8')) as Bundle;
    assert.ok(suffix.events.length > 0 && suffix.events.length < bundle.events.length, `--since ${target.ts}: ${suffix.events.length} of ${bundle.events.length} events`);
    assert.ok(suffix.events.every((e) => e.ts >= target.ts), 'only events since the time');
    assert.equal(suffix.events.at(-1)!.id, events.at(-1)!.id);
    const suffixOk = await g.jumpgate(['audit', 'verify-export', sinceFile]);
    assert.equal(suffixOk.code, 0, describeRun(suffixOk));
  });
});

describe('rotation faster than once a millisecond', () => {
  const g = suiteFixture(() =>
    startGateway({ settings: settingsWith([[['http', 'listen'], ''], [['audit', 'rotateSize'], '1KB']]) }),
  );

  test('a rotated file is never overwritten: every event stays in the files and audit verify passes', { timeout: 60_000 }, async () => {
    // Two or three events fill 1 KB, and one apply records hundreds of events
    // within a few milliseconds, so several rotations fall in the same
    // millisecond: each must still get a file of its own.
    await addUsers(g, 0, 300);
    const events = allEvents(g);
    const ours = events.filter((e) => e.type === 'config.change' && String(e.name).startsWith('trail-'));
    assert.equal(ours.length, 300, `events in the audit files after rotating ${rotatedFiles(g.dataDir).length} times: ${ours.length} of 300`);
    const verify = await g.jumpgate(['audit', 'verify']);
    assert.equal(verify.code, 0, describeRun(verify));
  });
});
