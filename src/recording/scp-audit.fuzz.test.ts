import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ScpAudit, SCP_LIMITS } from './scp-audit.js';
import { fuzz, fuzzTimeoutMs } from '../../test/helpers/fuzz.js';

const request = fc.record({
  direction: fc.constantFrom<'upload' | 'download'>('upload', 'download'),
  path: fc.constantFrom('/tmp/x', '/srv/', '.', 'rel/*.log'),
  targetIsDirectory: fc.boolean(),
});

/** Fragments of what a source sends, and random bytes. */
const fragment = fc.oneof(
  fc.uint8Array({ maxLength: 32 }),
  fc.constantFrom('C0644 3 a\n', 'C0644 0 e\n', 'D0755 0 d\n', 'E\n', '\x00', '\x01scp: oops\n', 'T1 0 2 0\n', 'abc', 'C0644 99999999999999999999 z\n').map((s) => new Uint8Array(Buffer.from(s))),
);

test('scp watcher, any bytes: never throws, holds at most one record and one path, reports nothing once failed', { timeout: fuzzTimeoutMs() }, () =>
  fuzz(fc.property(request, fc.array(fragment, { maxLength: 60 }), (req, chunks) => {
    let failed = false;
    let reportsAfterFailure = 0;
    let bytesReported = 0;
    const audit = new ScpAudit(req, (op) => { if (failed) reportsAfterFailure++; bytesReported += op.bytes; assert.ok(op.bytes >= 0); });
    let total = 0;
    for (const chunk of chunks) {
      total += chunk.length;
      const verdict = audit.files(Buffer.from(chunk));
      if (failed) assert.equal(verdict.ok, false);
      failed ||= !verdict.ok;
      assert.ok(audit.heldBytes() <= SCP_LIMITS.maxLineBytes + SCP_LIMITS.maxPathLength, `${audit.heldBytes()} bytes held`);
    }
    audit.end();
    assert.equal(reportsAfterFailure, 0);
    // A file's bytes are bytes of the stream: the audit never claims more than went through.
    assert.ok(bytesReported <= total, `${bytesReported} bytes reported of ${total}`);
  })));

interface Tree { files: Array<{ name: string; size: number }>; dirs: Array<{ name: string; tree: Tree }> }
const name = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes('/') && !s.includes('\n') && s !== '..');
function tree(depth: number): fc.Arbitrary<Tree> {
  return fc.record({
    files: fc.array(fc.record({ name, size: fc.nat({ max: 2000 }) }), { maxLength: 3 }),
    dirs: depth === 0 ? fc.constant([]) : fc.array(fc.record({ name, tree: tree(depth - 1) }), { maxLength: 2 }),
  });
}

/** What scp.c's source writes for `tree`, and the paths and sizes a faithful audit reports under `base`. */
function send(t: Tree, base: string, times: boolean): { bytes: Buffer[]; files: string[] } {
  const bytes: Buffer[] = [];
  const files: string[] = [];
  for (const f of t.files) {
    if (times) bytes.push(Buffer.from('T1700000000 0 1700000000 0\n'));
    bytes.push(Buffer.from(`C0644 ${f.size} ${f.name}\n`), Buffer.alloc(f.size, 0x7a), Buffer.from([0]));
    files.push(`${base}/${f.name} ${f.size}`);
  }
  for (const d of t.dirs) {
    const inner = send(d.tree, `${base}/${d.name}`, times);
    bytes.push(Buffer.from(`D0755 0 ${d.name}\n`), ...inner.bytes, Buffer.from('E\n'));
    files.push(...inner.files);
  }
  return { bytes, files };
}

test('scp watcher, a recursive transfer cut anywhere: one report per file, exact sizes and paths', { timeout: fuzzTimeoutMs() }, () =>
  fuzz(fc.property(tree(4), fc.boolean(), fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }), (t, times, sizes) => {
    const { bytes, files } = send(t, '/srv', times);
    const stream = Buffer.concat(bytes);
    const reports: string[] = [];
    const audit = new ScpAudit({ direction: 'upload', path: '/srv', targetIsDirectory: true }, (op) => reports.push(`${op.path} ${op.bytes}`));
    let offset = 0;
    for (let i = 0; offset < stream.length; i++) {
      const size = sizes[i % sizes.length];
      assert.ok(audit.files(stream.subarray(offset, offset + size)).ok);
      offset += size;
    }
    audit.end();
    assert.deepEqual(reports, files);
    assert.equal(audit.heldBytes(), 0);
  })));
