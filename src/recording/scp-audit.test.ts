import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ScpAudit, SCP_LIMITS, type ScpTransferRequest } from './scp-audit.js';
import type { FileOperation } from './file-operation.js';

const upload = (path: string, targetIsDirectory = false): ScpTransferRequest => ({ direction: 'upload', path, targetIsDirectory });
const download = (path: string): ScpTransferRequest => ({ direction: 'download', path, targetIsDirectory: false });

/** A file record as scp.c's source writes it, its bytes and the status byte. */
function file(name: string, size: number, mode = '0644'): Buffer {
  return Buffer.concat([Buffer.from(`C${mode} ${size} ${name}\n`), Buffer.alloc(size, 0x61), Buffer.from([0])]);
}

interface Outcome { files: string[]; failure: string | null }

/** Feeds `stream` in chunks of `chunk` bytes; the reports as `operation path bytes`, and the failure. */
function watch(request: ScpTransferRequest, stream: Buffer, chunk = stream.length || 1): Outcome {
  const files: string[] = [];
  const audit = new ScpAudit(request, (op: FileOperation) => files.push(`${op.operation} ${op.path} ${op.bytes}`));
  let failure: string | null = null;
  for (let offset = 0; offset < stream.length; offset += chunk) {
    const verdict = audit.files(stream.subarray(offset, offset + chunk));
    if (!verdict.ok) failure ??= verdict.reason;
  }
  audit.end();
  return { files, failure };
}

describe('scp protocol: one report per file with its exact size and path', () => {
  const cases: Array<{ name: string; request: ScpTransferRequest; stream: Buffer; files: string[] }> = [
    { name: 'one file to a file path', request: upload('/tmp/x.dest'), stream: file('x.bin', 3 * 1024 * 1024 + 3), files: ['scp upload /tmp/x.dest 3145731'] },
    { name: 'one file to a directory', request: upload('/tmp/'), stream: file('x.bin', 10), files: ['scp upload /tmp/x.bin 10'] },
    { name: 'one file to the home directory', request: upload('.'), stream: file('x.bin', 10), files: ['scp upload ./x.bin 10'] },
    { name: 'an empty file', request: upload('/tmp/empty'), stream: file('e', 0), files: ['scp upload /tmp/empty 0'] },
    { name: 'with times (-p)', request: upload('/tmp/t'), stream: Buffer.concat([Buffer.from('T1700000000 0 1700000001 0\n'), file('t', 5)]), files: ['scp upload /tmp/t 5'] },
    { name: 'several files to a directory (-d)', request: upload('/srv', true), stream: Buffer.concat([file('a', 1), file('b', 2)]), files: ['scp upload /srv/a 1', 'scp upload /srv/b 2'] },
    {
      name: 'a directory tree (-r)',
      request: upload('/srv/'),
      stream: Buffer.concat([Buffer.from('D0755 0 top\n'), file('a', 4), Buffer.from('D0700 0 sub\n'), file('b', 5), Buffer.from('E\n'), Buffer.from('E\n')]),
      files: ['scp upload /srv/top/a 4', 'scp upload /srv/top/sub/b 5'],
    },
    { name: 'a download by path', request: download('/etc/hostname'), stream: file('hostname', 7), files: ['scp download /etc/hostname 7'] },
    { name: 'a download by wildcard', request: download('/var/log/*.log'), stream: Buffer.concat([file('a.log', 1), file('b.log', 2)]), files: ['scp download /var/log/a.log 1', 'scp download /var/log/b.log 2'] },
    { name: 'a relative download', request: download('notes.txt'), stream: file('notes.txt', 3), files: ['scp download notes.txt 3'] },
    {
      name: 'a directory download (-r)',
      request: download('/home/u/proj/'),
      stream: Buffer.concat([Buffer.from('D0755 0 proj\n'), file('README', 6), Buffer.from('E\n')]),
      files: ['scp download /home/u/proj/README 6'],
    },
    {
      name: 'a warning from the sender between files',
      request: download('/d/*'),
      stream: Buffer.concat([Buffer.from('\x01scp: /d/x: Permission denied\n'), file('y', 2)]),
      files: ['scp download /d/y 2'],
    },
    {
      name: 'a read error after the bytes went through',
      request: upload('/tmp/z'),
      stream: Buffer.concat([Buffer.from('C0644 3 z\nabc\x01scp: z: Input/output error\n'), file('w', 1)]),
      files: ['scp upload /tmp/z 3', 'scp upload /tmp/z 1'],
    },
    { name: 'a transfer cut off mid-file reports the bytes that moved', request: upload('/tmp/cut'), stream: Buffer.from('C0644 100 cut\n0123456789'), files: ['scp upload /tmp/cut 10'] },
    // The header bytes are not the file's: the size is the record's, never the stream's length.
    { name: 'a file name with spaces', request: download('/tmp/a b'), stream: file('a b', 4), files: ['scp download /tmp/a b 4'] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const whole = watch(c.request, c.stream);
      assert.deepEqual(whole, { files: c.files, failure: null });
      // The same stream cut anywhere gives the same reports.
      for (const chunk of [1, 2, 3, 7, 64]) assert.deepEqual(watch(c.request, c.stream, chunk), whole, `in chunks of ${chunk}`);
    });
  }
});

describe('scp protocol: what scp.c refuses ends the watch', () => {
  const cases: Array<{ name: string; stream: Buffer; reason: RegExp; files?: string[] }> = [
    { name: 'an empty record', stream: Buffer.from('\n'), reason: /unexpected record/ },
    { name: 'an unknown record', stream: Buffer.from('X0644 1 a\n'), reason: /unexpected record/ },
    { name: 'a shell message instead of a record', stream: Buffer.from('No match.\n'), reason: /unexpected record/ },
    { name: 'a mode that is not octal', stream: Buffer.from('C0948 1 a\n'), reason: /unexpected record/ },
    { name: 'a size that is not a number', stream: Buffer.from('C0644 -1 a\n'), reason: /unexpected record/ },
    { name: 'a size past 2^53', stream: Buffer.from('C0644 99999999999999999999 a\n'), reason: /out of range/ },
    { name: 'a name with a slash', stream: Buffer.from('C0644 1 ../../etc/passwd\n'), reason: /unexpected file name/ },
    { name: 'a name ..', stream: Buffer.from('D0755 0 ..\n'), reason: /unexpected file name/ },
    { name: 'E at the top', stream: Buffer.from('E\n'), reason: /outside a directory/ },
    { name: 'a bad status byte after the data', stream: Buffer.from('C0644 1 a\nx\x07'), reason: /unexpected status byte 7/, files: ['scp upload /t 1'] },
    { name: 'a record without an end', stream: Buffer.alloc(SCP_LIMITS.maxLineBytes + 1, 0x43), reason: /longer than 2048 bytes/ },
    { name: 'directories without end', stream: Buffer.from('D0755 0 d\n'.repeat(SCP_LIMITS.maxDepth + 1)), reason: /deeper than 256/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const outcome = watch(upload('/t'), c.stream);
      assert.match(outcome.failure ?? '(no failure)', c.reason);
      assert.deepEqual(outcome.files, c.files ?? []);
    });
  }

  test('after a failure nothing more is reported', () => {
    const files: string[] = [];
    const audit = new ScpAudit(upload('/t/'), (op) => files.push(op.path));
    assert.equal(audit.files(Buffer.from('bogus\n')).ok, false);
    const verdict = audit.files(file('a', 1));
    assert.equal(verdict.ok, false);
    audit.end();
    assert.deepEqual(files, []);
  });

  test('megabytes without a newline hold at most one record', () => {
    const audit = new ScpAudit(upload('/t'), () => {});
    let verdict = audit.files(Buffer.alloc(1000, 0x43));
    assert.equal(verdict.ok, true);
    for (let i = 0; i < 1000 && verdict.ok; i++) verdict = audit.files(Buffer.alloc(16 * 1024, 0x43));
    assert.equal(verdict.ok, false);
    assert.ok(audit.heldBytes() <= SCP_LIMITS.maxLineBytes, `${audit.heldBytes()} bytes held`);
  });
});
