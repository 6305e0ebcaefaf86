import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SftpAudit, SFTP_LIMITS } from './sftp-audit.js';
import { MAX_PACKET_BYTES, STREAMED_HEAD_BYTES } from './sftp-packets.js';
import type { FileOperation } from './file-operation.js';
import { PFLAG, attrs, packet, reply, request, uint32, uint64, sshString } from '../../test/helpers/sftp-wire.js';

/** One step of a conversation: bytes from the client (`c`) or from the server (`s`). */
type Step = ['c' | 's', Buffer];

const hello: Step[] = [['c', request.init()], ['s', reply.version()]];

/** `operation path bytes [detail]` per report, and the first failure. */
function watch(steps: Step[], options: { end?: boolean } = {}): { reports: string[]; failure: string | null; audit: SftpAudit } {
  const reports: string[] = [];
  const audit = new SftpAudit((op: FileOperation) => reports.push([op.operation, op.path, op.bytes, op.detail].filter((x) => x !== undefined).join(' ')));
  let failure: string | null = null;
  for (const [from, bytes] of steps) {
    const verdict = from === 'c' ? audit.request(bytes) : audit.response(bytes);
    if (!verdict.ok) failure ??= verdict.reason;
  }
  if (options.end !== false) audit.end();
  return { reports, failure, audit };
}

const kib = (n: number) => Buffer.alloc(n * 1024, 0x62);

describe('SFTP watcher: what each operation reports', () => {
  const cases: Array<{ name: string; steps: Step[]; reports: string[] }> = [
    {
      name: 'an upload: OPEN for write, WRITEs, CLOSE',
      steps: [
        ['c', request.open(1, '/tmp/up', PFLAG.WRITE | PFLAG.CREAT | PFLAG.TRUNC)], ['s', reply.handle(1, 'h1')],
        ['c', request.write(2, 'h1', 0, kib(32))], ['c', request.write(3, 'h1', 32 * 1024, Buffer.alloc(17))],
        ['s', reply.status(2)], ['s', reply.status(3)],
        ['c', request.close(4, 'h1')], ['s', reply.status(4)],
      ],
      reports: ['upload /tmp/up 32785'],
    },
    {
      name: 'a download: OPEN, READs answered with DATA, CLOSE',
      steps: [
        ['c', request.open(1, '/etc/hostname')], ['s', reply.handle(1, 'h1')],
        ['c', request.read(2, 'h1', 0, 32768)], ['c', request.read(3, 'h1', 32768, 32768)],
        ['s', reply.data(2, Buffer.alloc(100))], ['s', reply.status(3, 1, 'EOF')],
        ['c', request.close(4, 'h1')], ['s', reply.status(4)],
      ],
      reports: ['download /etc/hostname 100'],
    },
    {
      name: 'a file opened and closed without reading',
      steps: [['c', request.open(1, '/x')], ['s', reply.handle(1, 'h')], ['c', request.close(2, 'h')], ['s', reply.status(2)]],
      reports: ['open /x 0'],
    },
    {
      name: 'an OPEN that fails opens nothing',
      steps: [['c', request.open(1, '/etc/shadow')], ['s', reply.status(1, 3, 'Permission denied')]],
      reports: [],
    },
    {
      name: 'remove, mkdir, rmdir, rename, posix-rename',
      steps: [
        ['c', request.remove(1, '/a')], ['s', reply.status(1)],
        ['c', request.mkdir(2, '/d')], ['s', reply.status(2)],
        ['c', request.rmdir(3, '/d')], ['s', reply.status(3)],
        ['c', request.rename(4, '/b', '/c')], ['s', reply.status(4)],
        ['c', request.extended(5, 'posix-rename@openssh.com', sshString('/c'), sshString('/e'))], ['s', reply.status(5)],
      ],
      reports: ['remove /a 0', 'mkdir /d 0', 'rmdir /d 0', 'rename /b -> /c 0', 'rename /c -> /e 0'],
    },
    {
      name: 'a failed change is not reported',
      steps: [['c', request.remove(1, '/a')], ['s', reply.status(1, 2, 'No such file')]],
      reports: [],
    },
    {
      name: 'symlink (OpenSSH order: target, then link) and hardlink',
      steps: [
        ['c', request.symlink(1, '/etc/shadow', '/tmp/link')], ['s', reply.status(1)],
        ['c', request.extended(2, 'hardlink@openssh.com', sshString('/etc/passwd'), sshString('/tmp/hard'))], ['s', reply.status(2)],
      ],
      reports: ['symlink /tmp/link -> /etc/shadow 0', 'hardlink /tmp/hard -> /etc/passwd 0'],
    },
    {
      name: 'setstat, fsetstat, lsetstat with what they change',
      steps: [
        ['c', request.setstat(1, '/bin/tool', attrs({ mode: 0o104755 }))], ['s', reply.status(1)],
        ['c', request.open(2, '/f', PFLAG.WRITE)], ['s', reply.handle(2, 'h')],
        ['c', request.fsetstat(3, 'h', attrs({ uid: 0, gid: 0, atime: 0, mtime: 1700000000 }))], ['s', reply.status(3)],
        ['c', request.extended(4, 'lsetstat@openssh.com', sshString('/l'), attrs({ size: 0 }))], ['s', reply.status(4)],
        ['c', request.setstat(5, '/nothing', attrs())], ['s', reply.status(5)],
      ],
      reports: [
        'setstat /bin/tool 0 mode 4755',
        'setstat /f 0 uid 0 gid 0, atime 1970-01-01T00:00:00Z mtime 2023-11-14T22:13:20Z',
        'lsetstat /l 0 size 0',
        'setstat /nothing 0',
        'upload /f 0',
      ],
    },
    {
      name: 'copy-data between two open files',
      steps: [
        ['c', request.open(1, '/src')], ['s', reply.handle(1, 'r')],
        ['c', request.open(2, '/dst', PFLAG.WRITE | PFLAG.CREAT)], ['s', reply.handle(2, 'w')],
        ['c', request.extended(3, 'copy-data', sshString('r'), uint64(0), uint64(0), sshString('w'), uint64(0))], ['s', reply.status(3)],
        ['c', request.extended(4, 'copy-data', sshString('r'), uint64(10), uint64(5), sshString('w'), uint64(10))], ['s', reply.status(4)],
      ],
      reports: ['copy-data /src -> /dst 0 to the end of the source', 'copy-data /src -> /dst 5', 'open /src 0', 'upload /dst 0'],
    },
    {
      name: 'an extension it does not know is reported when it succeeds',
      steps: [
        ['c', request.extended(1, 'copy-file', sshString('/a'), sshString('/b'))], ['s', reply.status(1)],
        ['c', request.extended(2, 'vendor-thing@example.com')], ['s', reply.extendedReply(2)],
        ['c', request.extended(3, 'unsupported@example.com')], ['s', reply.status(3, 8, 'Unsupported')],
      ],
      reports: ['extension  0 copy-file', 'extension  0 vendor-thing@example.com'],
    },
    {
      name: 'queries report nothing',
      steps: [
        ['c', request.lstat(1, '/')], ['s', reply.attrs(1)],
        ['c', request.realpath(2, '.')], ['s', reply.name(2)],
        ['c', request.opendir(3, '/')], ['s', reply.handle(3, 'd')],
        ['c', request.readdir(4, 'd')], ['s', reply.name(4)],
        ['c', request.close(5, 'd')], ['s', reply.status(5)],
        ['c', request.extended(6, 'statvfs@openssh.com', sshString('/'))], ['s', reply.extendedReply(6)],
      ],
      reports: [],
    },
    {
      name: 'a file still open when the session ends',
      steps: [['c', request.open(1, '/big', PFLAG.WRITE)], ['s', reply.handle(1, 'h')], ['c', request.write(2, 'h', 0, kib(4))]],
      reports: ['upload /big 4096'],
    },
    {
      name: 'an id may be used again once answered',
      steps: [
        ['c', request.open(7, '/decoy.txt')], ['s', reply.handle(7, 'h1')],
        ['c', request.open(7, '/etc/shadow')], ['s', reply.handle(7, 'h2')],
        ['c', request.read(8, 'h2', 0, 100)], ['s', reply.data(8, Buffer.alloc(42))],
        ['c', request.close(9, 'h2')], ['s', reply.status(9)],
      ],
      reports: ['download /etc/shadow 42', 'open /decoy.txt 0'],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const steps = [...hello, ...c.steps];
      const whole = watch(steps);
      assert.equal(whole.failure, null);
      assert.deepEqual(whole.reports, c.reports);
      // Byte by byte, and with every step in one piece per direction, the same reports.
      const bytewise = watch(steps.flatMap(([from, bytes]) => [...bytes].map((b): Step => [from, Buffer.from([b])])));
      assert.deepEqual({ reports: bytewise.reports, failure: bytewise.failure }, { reports: c.reports, failure: null });
    });
  }
});

describe('SFTP watcher: it fails closed', () => {
  const cases: Array<{ name: string; steps: Step[]; reason: RegExp }> = [
    {
      name: 'two OPENs with one request id (a read of /etc/shadow posing as decoy.txt)',
      steps: [...hello, ['c', Buffer.concat([request.open(7, '/tmp/decoy.txt'), request.open(7, '/etc/shadow')])]],
      reason: /request id 7 reused while outstanding/,
    },
    { name: 'any request id reused while outstanding', steps: [...hello, ['c', request.lstat(1, '/')], ['c', request.remove(1, '/x')]], reason: /request id 1 reused/ },
    { name: 'a reply to no request', steps: [...hello, ['s', reply.handle(5, 'h')]], reason: /request id 5, which is not outstanding/ },
    { name: 'a reply answered twice', steps: [...hello, ['c', request.lstat(1, '/')], ['s', reply.attrs(1)], ['s', reply.attrs(1)]], reason: /not outstanding/ },
    { name: 'a request before INIT', steps: [['c', request.open(1, '/x')]], reason: /before INIT/ },
    { name: 'a second INIT', steps: [...hello, ['c', request.init()]], reason: /second INIT/ },
    { name: 'a reply before VERSION', steps: [['c', request.init()], ['c', request.lstat(1, '/')], ['s', reply.attrs(1)]], reason: /before VERSION/ },
    { name: 'an unknown request type', steps: [...hello, ['c', packet(99, uint32(1))]], reason: /unknown request type 99/ },
    { name: 'an unknown reply type', steps: [...hello, ['c', request.lstat(1, '/')], ['s', packet(150, uint32(1))]], reason: /unknown reply type 150/ },
    { name: 'a packet shorter than its fields', steps: [...hello, ['c', packet(3, uint32(1), uint32(1000), Buffer.from('short'))]], reason: /shorter than its fields/ },
    { name: 'an empty packet', steps: [...hello, ['c', uint32(0)]], reason: /shorter than its fields/ },
    { name: 'a packet longer than OpenSSH allows', steps: [...hello, ['c', uint32(MAX_PACKET_BYTES + 1)]], reason: /a packet of 262145 bytes/ },
    { name: 'a handle longer than 256 bytes', steps: [...hello, ['c', request.close(1, 'h'.repeat(257))]], reason: /a handle of 257 bytes/ },
    { name: 'a server that speaks another SFTP version', steps: [['c', request.init(6)], ['s', reply.version(6)]], reason: /SFTP version 6 \(only version 3 is audited\)/ },
    { name: 'a garbage stream', steps: [['c', Buffer.from('SSH-2.0-not-sftp\r\n')]], reason: /sftp: / },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { reports, failure, audit } = watch(c.steps);
      assert.match(failure ?? '(no failure)', c.reason);
      assert.deepEqual(reports, []);
      // A failed watcher stays failed and says why, in both directions.
      assert.equal(audit.request(request.lstat(1000, '/')).ok, false);
      assert.match(String((audit.response(reply.version()) as { reason: string }).reason), c.reason);
    });
  }

  test('the second OPEN of a reused id never counts as the first one', () => {
    const { reports, failure } = watch([
      ...hello,
      ['c', request.open(7, '/tmp/decoy.txt')], ['c', request.open(7, '/etc/shadow')],
      ['s', reply.handle(7, 'h')], ['c', request.read(8, 'h', 0, 4096)], ['s', reply.data(8, Buffer.alloc(900))],
      ['c', request.close(9, 'h')], ['s', reply.status(9)],
    ]);
    assert.match(failure ?? '', /reused/);
    assert.deepEqual(reports, []);
  });

  test('more requests outstanding than the bound', () => {
    const steps: Step[] = [...hello];
    for (let id = 0; id <= SFTP_LIMITS.maxOutstanding; id++) steps.push(['c', request.lstat(id, '/')]);
    const { failure, audit } = watch(steps, { end: false });
    assert.match(failure ?? '', /more than 4096 requests outstanding/);
    assert.equal(audit.size().outstanding, 0, 'a failed watcher lets go of its state');
  });

  test('more handles open than the bound', () => {
    const steps: Step[] = [...hello];
    for (let id = 0; id <= SFTP_LIMITS.maxOpenHandles; id++) steps.push(['c', request.open(id, `/f${id}`)], ['s', reply.handle(id, `h${id}`)]);
    assert.match(watch(steps).failure ?? '', /more than 1024 handles open/);
  });

  test('more path characters held than the bound', () => {
    const steps: Step[] = [...hello];
    const long = '/'.padEnd(200 * 1024, 'p');
    for (let id = 0; id < 6; id++) steps.push(['c', request.remove(id, long)]);
    const { failure } = watch(steps, { end: false });
    assert.match(failure ?? '', /characters of paths held/);
  });

  test('file bytes of WRITE and DATA pass through without being held, byte by byte too', () => {
    const audit = new SftpAudit(() => {});
    audit.request(request.init());
    audit.response(reply.version());
    audit.request(request.open(1, '/tmp/f', PFLAG.WRITE));
    audit.response(reply.handle(1, 'h1'));
    let largest = 0;
    const feed = (bytes: Buffer, send: (b: Buffer) => unknown) => {
      for (let i = 0; i < bytes.length; i++) {
        send(bytes.subarray(i, i + 1));
        largest = Math.max(largest, audit.size().bufferedBytes);
      }
    };
    feed(request.write(2, 'h1', 0, kib(200)), (b) => audit.request(b));
    feed(request.read(3, 'h1', 0, 200 * 1024), (b) => audit.request(b));
    feed(reply.data(3, kib(200)), (b) => audit.response(b));
    assert.ok(largest <= STREAMED_HEAD_BYTES + 4, `held ${largest} bytes`);
    assert.equal(audit.size().bufferedBytes, 0);
  });

  test('megabytes of one unfinished packet hold at most one packet', () => {
    const audit = new SftpAudit(() => {});
    audit.request(request.init());
    audit.request(uint32(MAX_PACKET_BYTES));
    let verdict = audit.request(Buffer.alloc(1024));
    for (let i = 0; i < 1024 && verdict.ok; i++) verdict = audit.request(Buffer.alloc(16 * 1024, 0x55));
    assert.ok(audit.size().bufferedBytes <= MAX_PACKET_BYTES + 4, JSON.stringify(audit.size()));
  });
});
