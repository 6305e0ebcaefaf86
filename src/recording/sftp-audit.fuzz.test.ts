import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SftpAudit, SFTP_LIMITS } from './sftp-audit.js';
import { MAX_PACKET_BYTES } from './sftp-packets.js';
import { fuzz, fuzzTimeoutMs } from '../../test/helpers/fuzz.js';
import { PFLAG, reply, request, sshString } from '../../test/helpers/sftp-wire.js';

type Step = { from: 'client' | 'server'; bytes: Uint8Array };

/** A well-formed start, so random bytes after it reach the request and reply parsers. */
const hello: Step[] = [{ from: 'client', bytes: request.init() }, { from: 'server', bytes: reply.version() }];

const anyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  // Packets with a plausible length and type, and random fields.
  fc.tuple(fc.constantFrom(3, 4, 5, 6, 9, 10, 13, 18, 20, 101, 102, 103, 200, 201), fc.uint8Array({ maxLength: 40 }))
    .map(([type, body]) => { const b = Buffer.alloc(5 + body.length); b.writeUInt32BE(1 + body.length); b[4] = type; b.set(body, 5); return new Uint8Array(b); }),
);
const anySteps = fc.array(fc.record({ from: fc.constantFrom<'client' | 'server'>('client', 'server'), bytes: anyBytes }), { maxLength: 40 });

test('SFTP watcher, any bytes either way: never throws, stays bounded, reports nothing once failed', { timeout: fuzzTimeoutMs() }, () =>
  fuzz(fc.property(fc.boolean(), anySteps, (greet, steps) => {
    let failed = false;
    let reportsAfterFailure = 0;
    const audit = new SftpAudit(() => { if (failed) reportsAfterFailure++; });
    for (const step of greet ? [...hello, ...steps] : steps) {
      const bytes = Buffer.from(step.bytes);
      const verdict = step.from === 'client' ? audit.request(bytes) : audit.response(bytes);
      if (failed) assert.equal(verdict.ok, false, 'a failed watcher stays failed');
      failed ||= !verdict.ok;
      const size = audit.size();
      assert.ok(size.outstanding <= SFTP_LIMITS.maxOutstanding && size.openHandles <= SFTP_LIMITS.maxOpenHandles, JSON.stringify(size));
      assert.ok(size.heldPathChars >= 0 && size.heldPathChars <= SFTP_LIMITS.maxHeldPathChars, JSON.stringify(size));
      assert.ok(size.bufferedBytes <= 2 * (MAX_PACKET_BYTES + 4), JSON.stringify(size));
    }
    audit.end();
    assert.equal(reportsAfterFailure, 0);
  })));

/** Operations of a well-behaved client against a server that answers each at once. */
const path = fc.string({ minLength: 1, maxLength: 24 }).map((s) => `/${s}`);
const operation = fc.oneof(
  fc.record({ kind: fc.constant('upload' as const), path, writes: fc.array(fc.nat({ max: 3000 }), { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('download' as const), path, reads: fc.array(fc.nat({ max: 3000 }), { maxLength: 4 }) }),
  fc.record({ kind: fc.constantFrom('remove' as const, 'mkdir' as const, 'rmdir' as const), path, ok: fc.boolean() }),
  fc.record({ kind: fc.constant('rename' as const), path, to: path, ok: fc.boolean() }),
  fc.record({ kind: fc.constant('symlink' as const), path, to: path, ok: fc.boolean() }),
);
type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

/** The conversation for `operations`, and what a faithful audit reports of it. */
function conversation(operations: Operation[]): { steps: Step[]; expected: string[] } {
  const steps: Step[] = [...hello];
  const expected: string[] = [];
  let id = 0;
  const exchange = (ask: Buffer, answer: Buffer) => steps.push({ from: 'client', bytes: ask }, { from: 'server', bytes: answer });
  for (const op of operations) {
    const handle = `h${id}`;
    if (op.kind === 'upload' || op.kind === 'download') {
      const open = ++id;
      exchange(request.open(open, op.path, op.kind === 'upload' ? PFLAG.WRITE | PFLAG.CREAT : PFLAG.READ), reply.handle(open, handle));
      let bytes = 0;
      for (const size of op.kind === 'upload' ? op.writes : op.reads) {
        const n = ++id;
        if (op.kind === 'upload') exchange(request.write(n, handle, bytes, Buffer.alloc(size)), reply.status(n));
        else exchange(request.read(n, handle, bytes, 4096), reply.data(n, Buffer.alloc(size)));
        bytes += size;
      }
      const close = ++id;
      exchange(request.close(close, handle), reply.status(close));
      const kind = op.kind === 'upload' ? 'upload' : bytes > 0 ? 'download' : 'open';
      expected.push(`${kind} ${op.path} ${bytes}`);
      continue;
    }
    const n = ++id;
    const ask = op.kind === 'rename' ? request.rename(n, op.path, op.to)
      : op.kind === 'symlink' ? request.symlink(n, op.to, op.path)
      : op.kind === 'remove' ? request.remove(n, op.path) : op.kind === 'mkdir' ? request.mkdir(n, op.path) : request.rmdir(n, op.path);
    exchange(ask, reply.status(n, op.ok ? 0 : 4));
    if (op.ok) expected.push(op.kind === 'rename' || op.kind === 'symlink' ? `${op.kind} ${op.path} -> ${op.to} 0` : `${op.kind} ${op.path} 0`);
  }
  return { steps, expected };
}

/** Re-cuts a conversation: runs of one direction joined, then split at the given points. */
function recut(steps: Step[], cuts: number[]): Step[] {
  const runs: Step[] = [];
  for (const step of steps) {
    const last = runs.at(-1);
    if (last && last.from === step.from && cuts.length % 2 === 0) last.bytes = Buffer.concat([last.bytes, step.bytes]);
    else runs.push({ ...step });
  }
  return runs.flatMap((run) => {
    const pieces: Step[] = [];
    let offset = 0;
    for (const cut of cuts) {
      const at = offset + (cut % Math.max(1, run.bytes.length - offset));
      if (at <= offset || at >= run.bytes.length) continue;
      pieces.push({ from: run.from, bytes: run.bytes.subarray(offset, at) });
      offset = at;
    }
    pieces.push({ from: run.from, bytes: run.bytes.subarray(offset) });
    return pieces;
  });
}

test('SFTP watcher, a well-behaved session cut anywhere: reports exactly what a simple model says', { timeout: fuzzTimeoutMs() }, () =>
  fuzz(fc.property(fc.array(operation, { maxLength: 12 }), fc.array(fc.nat({ max: 5000 }), { maxLength: 6 }), (operations, cuts) => {
    const { steps, expected } = conversation(operations);
    const reports: string[] = [];
    const audit = new SftpAudit((op) => reports.push(`${op.operation} ${op.path} ${op.bytes}`));
    for (const step of recut(steps, cuts)) {
      const bytes = Buffer.from(step.bytes);
      const verdict = step.from === 'client' ? audit.request(bytes) : audit.response(bytes);
      assert.ok(verdict.ok, JSON.stringify(verdict));
    }
    audit.end();
    assert.deepEqual(reports, expected);
    assert.deepEqual(audit.size(), { outstanding: 0, openHandles: 0, heldPathChars: 0, bufferedBytes: 0 });
  })));

test('SFTP watcher: a well-behaved session with one request id reused while outstanding fails closed', { timeout: fuzzTimeoutMs() }, () =>
  fuzz(fc.property(fc.array(operation, { minLength: 1, maxLength: 8 }), fc.nat(), path, (operations, pick, victim) => {
    const { steps } = conversation(operations);
    // Repeat a request id right after its request, before the server answers it.
    const requests = steps.map((step, index) => ({ step, index })).filter(({ step, index }) => step.from === 'client' && index > 0);
    const { step, index } = requests[pick % requests.length];
    const id = Buffer.from(step.bytes).readUInt32BE(5);
    const reuse: Step = { from: 'client', bytes: request.extended(id, 'posix-rename@openssh.com', sshString(victim), sshString('/x')) };
    const audit = new SftpAudit(() => {});
    let failure: string | null = null;
    for (const s of [...steps.slice(0, index + 1), reuse, ...steps.slice(index + 1)]) {
      const bytes = Buffer.from(s.bytes);
      const verdict = s.from === 'client' ? audit.request(bytes) : audit.response(bytes);
      if (!verdict.ok) failure ??= verdict.reason;
    }
    assert.match(failure ?? '(none)', new RegExp(`request id ${id} reused while outstanding`));
  })));
