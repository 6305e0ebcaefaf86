/**
 * File transfer through proxied sessions (SPEC §2.2): scp in SFTP mode (the
 * OpenSSH 9 default), legacy scp (`scp -O`) and sftp, with the gateway's
 * credential. Every transfer is byte-identical and audited as file.transfer;
 * the access kind `sftp` governs all of them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { AuditEvent, Gateway } from '../helpers/gateway.js';
import { makeKeyPair } from '../helpers/keys.js';
import { run, type RunResult } from '../helpers/processes.js';
import { allOutput, describeRun, type SshClient } from '../helpers/ssh-client.js';
import { osLogin } from '../helpers/sshd.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { sha256 } from '../helpers/tcp-echo.js';
import { startProxiedWorld } from '../helpers/world.js';
import { openRawSftp } from '../helpers/raw-sftp.js';
import { PFLAG, request } from '../helpers/sftp-wire.js';

/** A predicate true for events written after this call. */
function newSince(g: Gateway): (e: AuditEvent) => boolean {
  const seen = new Set(g.auditEvents().map((e) => e.id));
  return (e) => !seen.has(e.id);
}

function sameBytes(a: string, b: string): void {
  assert.ok(fs.existsSync(b), `${b} does not exist`);
  const x = fs.readFileSync(a);
  const y = fs.readFileSync(b);
  assert.equal(y.length, x.length, `${b} has ${y.length} bytes, ${a} has ${x.length}`);
  assert.equal(sha256(y), sha256(x), `${b} differs from ${a}`);
}

describe('file transfer through proxied sessions: scp, scp -O, sftp', () => {
  let bob: SshClient;
  /** carol may transfer files (access sftp) but run no commands. */
  let carol: SshClient;
  /** Where the files live; the target runs on this machine, so it sees them too. */
  let files: string;

  const w = suiteFixture(() =>
    startProxiedWorld({
      extraYaml: async ({ gateway, clientFor }) => {
        files = path.join(gateway.workDir, 'files');
        fs.mkdirSync(files);
        const bobKey = await makeKeyPair(gateway.workDir, 'bob', 'bob@laptop');
        bob = clientFor('bob', bobKey);
        const carolKey = await makeKeyPair(gateway.workDir, 'carol', 'carol@laptop');
        carol = clientFor('carol', carolKey);
        return `kind: User
name: bob
roles: [shell-only]
keys:
  - ${bobKey.publicKey}
---
kind: User
name: carol
roles: [files-only]
keys:
  - ${carolKey.publicKey}
---
kind: Role
name: files-only
allow:
  - targets: [db1]
    access: [sftp]
    logins: [${osLogin}]
---
kind: Role
name: dba
allow:
  - targets: [db1]
    access: [session, sftp]
    logins: [${osLogin}]
    record: true
---
kind: Role
name: shell-only
allow:
  - targets: [db1]
    access: [session]
`;
      },
    }),
  );

  const scp = (client: SshClient, args: readonly string[]): Promise<RunResult> =>
    run('scp', ['-F', client.configFile, '-P', String(w.gateway.port), ...args], { timeoutMs: 60_000 });
  const sftpBatch = (client: SshClient, user: string, batch: string): Promise<RunResult> => {
    const batchFile = w.gateway.writeFile(`batch-${Date.now()}-${Math.random().toString(16).slice(2)}.txt`, batch);
    return run('sftp', ['-F', client.configFile, '-P', String(w.gateway.port), '-b', batchFile, `${user}@127.0.0.1`], { timeoutMs: 60_000 });
  };
  const makeFile = (name: string, size: number): string => {
    const file = path.join(files, name);
    fs.writeFileSync(file, randomBytes(size));
    return file;
  };
  const transfers = (fresh: (e: AuditEvent) => boolean): AuditEvent[] =>
    w.gateway.auditEvents().filter((e) => fresh(e) && e.type === 'file.transfer');
  const waitTransfer = (fresh: (e: AuditEvent) => boolean, operation: string, filePath: string): Promise<AuditEvent> =>
    w.gateway
      .waitForAuditEvent((e) => fresh(e) && e.type === 'file.transfer' && e.operation === operation && e.path === filePath)
      .catch((error: Error) => {
        throw new Error(`${error.message}\nno file.transfer ${operation} ${filePath}; new file.transfer events:\n${JSON.stringify(transfers(fresh), null, 1)}`);
      });

  test('scp (SFTP mode) uploads a file byte for byte, audited as upload', { timeout: 90_000 }, async () => {
    const src = makeFile('scp-up.bin', 3 * 1024 * 1024 + 17);
    const dest = path.join(files, 'scp-up.dest');
    const fresh = newSince(w.gateway);
    const r = await scp(w.alice, ['-q', src, `alice+db1@127.0.0.1:${dest}`]);
    assert.equal(r.code, 0, describeRun(r));
    sameBytes(src, dest);
    const e = await waitTransfer(fresh, 'upload', dest);
    assert.equal(e.bytes, fs.statSync(src).size);
    assert.equal(e.user, 'alice');
  });

  test('scp (SFTP mode) downloads a file byte for byte, audited as download', { timeout: 90_000 }, async () => {
    const src = makeFile('scp-down.src', 2 * 1024 * 1024 + 5);
    const dest = path.join(files, 'scp-down.bin');
    const fresh = newSince(w.gateway);
    const r = await scp(w.alice, ['-q', `alice+db1@127.0.0.1:${src}`, dest]);
    assert.equal(r.code, 0, describeRun(r));
    sameBytes(src, dest);
    const e = await waitTransfer(fresh, 'download', src);
    assert.equal(e.bytes, fs.statSync(src).size);
  });

  test('scp with an explicit login: alice+LOGIN@db1@gate:PATH', { timeout: 90_000 }, async () => {
    const src = makeFile('scp-login.bin', 64 * 1024);
    const dest = path.join(files, 'scp-login.dest');
    const r = await scp(w.alice, ['-q', src, `alice+${osLogin}@db1@127.0.0.1:${dest}`]);
    assert.equal(r.code, 0, describeRun(r));
    sameBytes(src, dest);
  });

  test('legacy scp -O uploads a file byte for byte, audited as scp upload', { timeout: 90_000 }, async () => {
    const src = makeFile('scp-o-up.bin', 3 * 1024 * 1024 + 3);
    const dest = path.join(files, 'scp-o-up.dest');
    const fresh = newSince(w.gateway);
    const r = await scp(w.alice, ['-O', '-q', src, `alice+db1@127.0.0.1:${dest}`]);
    assert.equal(r.code, 0, describeRun(r));
    sameBytes(src, dest);
    const e = await waitTransfer(fresh, 'scp upload', dest);
    assert.equal(e.user, 'alice');
    // The file's size, not the stream's: the protocol's records and status bytes are not the file.
    assert.equal(e.bytes, fs.statSync(src).size, JSON.stringify(e));
  });

  test('legacy scp -O downloads a file byte for byte, audited as scp download', { timeout: 90_000 }, async () => {
    const src = makeFile('scp-o-down.src', 2 * 1024 * 1024 + 1);
    const dest = path.join(files, 'scp-o-down.bin');
    const fresh = newSince(w.gateway);
    const r = await scp(w.alice, ['-O', '-q', `alice+db1@127.0.0.1:${src}`, dest]);
    assert.equal(r.code, 0, describeRun(r));
    sameBytes(src, dest);
    const e = await waitTransfer(fresh, 'scp download', src);
    assert.equal(e.bytes, fs.statSync(src).size, JSON.stringify(e));
  });

  test('sftp -b: put, rename, get, rm, each audited', { timeout: 90_000 }, async () => {
    const local = makeFile('sftp-local.bin', 1024 * 1024 + 99);
    const size = fs.statSync(local).size;
    const remote1 = path.join(files, 'sftp-remote-1.bin');
    const remote2 = path.join(files, 'sftp-remote-2.bin');
    const back = path.join(files, 'sftp-back.bin');
    const fresh = newSince(w.gateway);
    const r = await sftpBatch(w.alice, 'alice+db1', [
      `put ${local} ${remote1}`,
      `rename ${remote1} ${remote2}`,
      `get ${remote2} ${back}`,
      `rm ${remote2}`,
      '',
    ].join('\n'));
    assert.equal(r.code, 0, describeRun(r));
    sameBytes(local, back);
    assert.ok(!fs.existsSync(remote1), `${remote1} is still there after the rename`);
    assert.ok(!fs.existsSync(remote2), `${remote2} is still there after rm`);

    const up = await waitTransfer(fresh, 'upload', remote1);
    assert.equal(up.bytes, size);
    await waitTransfer(fresh, 'rename', `${remote1} -> ${remote2}`);
    const down = await waitTransfer(fresh, 'download', remote2);
    assert.equal(down.bytes, size);
    await waitTransfer(fresh, 'remove', remote2);
    for (const e of transfers(fresh)) assert.equal(e.user, 'alice');

    // In the order they happened, and in one sftp session.
    const ops = transfers(fresh).map((e) => e.operation);
    assert.deepEqual(ops.filter((o) => ['upload', 'rename', 'download', 'remove'].includes(String(o))), ['upload', 'rename', 'download', 'remove']);
    const sessions = new Set(transfers(fresh).map((e) => String(e.session)));
    assert.equal(sessions.size, 1, JSON.stringify(transfers(fresh)));
    const start = w.gateway.auditEvents().find((e) => fresh(e) && e.type === 'session.start' && sessions.has(String(e.session)));
    assert.ok(start, 'no session.start for the sftp session');
    assert.equal(start.kind, 'sftp');
  });

  test('a rule with only session access: bob gets a shell command but no scp or sftp', { timeout: 90_000 }, async () => {
    const shell = await bob.run(['-p', String(w.gateway.port), 'bob+db1@127.0.0.1', 'echo bob-session-ok']);
    assert.equal(shell.code, 0, describeRun(shell));
    assert.match(shell.stdout, /bob-session-ok/);

    const src = makeFile('bob.bin', 4096);
    const denied = path.join(files, 'bob-denied.dest');
    const attempts: Array<[string, Promise<RunResult>]> = [];
    const fresh = newSince(w.gateway);
    attempts.push(['scp upload', scp(bob, ['-q', src, `bob+db1@127.0.0.1:${denied}`])]);
    attempts.push(['scp download', scp(bob, ['-q', `bob+db1@127.0.0.1:${src}`, path.join(files, 'bob-denied-down')])]);
    attempts.push(['scp -O upload', scp(bob, ['-O', '-q', src, `bob+db1@127.0.0.1:${denied}`])]);
    attempts.push(['scp -O download', scp(bob, ['-O', '-q', `bob+db1@127.0.0.1:${src}`, path.join(files, 'bob-denied-down-o')])]);
    attempts.push(['sftp', sftpBatch(bob, 'bob+db1', `put ${src} ${denied}\n`)]);
    for (const [what, attempt] of attempts) {
      const r = await attempt;
      assert.notEqual(r.code, 0, `${what} succeeded without sftp access\n${describeRun(r)}`);
      assert.match(allOutput(r), /jumpgate: bob may not reach/, `${what}: ${describeRun(r)}`);
    }
    assert.ok(!fs.existsSync(denied), 'a file arrived on the target without sftp access');
    assert.ok(!fs.existsSync(path.join(files, 'bob-denied-down')));
    assert.ok(!fs.existsSync(path.join(files, 'bob-denied-down-o')));

    await w.gateway.waitForAuditEvent(() => w.gateway.auditEvents().filter((e) => fresh(e) && e.type === 'access.denied').length >= attempts.length);
    const refusals = w.gateway.auditEvents().filter((e) => fresh(e) && e.type === 'access.denied');
    assert.equal(refusals.length, attempts.length, JSON.stringify(refusals, null, 1));
    for (const e of refusals) {
      assert.equal(e.user, 'bob');
      assert.equal(e.access, 'sftp', JSON.stringify(e));
    }
    assert.equal(transfers(fresh).length, 0, JSON.stringify(transfers(fresh)));
  });

  test('an sftp-only grant runs no command dressed as scp: carol is refused, and the command does not run', { timeout: 120_000 }, async () => {
    const marker = path.join(files, 'carol-marker');
    const landing = path.join(files, 'carol-x');
    const commands = [
      `scp -t ${landing}; id`,
      `scp -t ${landing}; touch ${marker}`,
      `scp -t ${landing} && touch ${marker}`,
      `scp -t ${landing} | touch ${marker}`,
      `scp -t $(touch ${marker})`,
      `scp -t \`touch ${marker}\``,
      `scp -t ${landing}\ntouch ${marker}`,
      `scp -f /etc/hostname > ${marker}`,
      `scp -t ${landing} ${marker}`,
    ];
    const fresh = newSince(w.gateway);
    for (const command of commands) {
      const r = await carol.run(['-p', String(w.gateway.port), 'carol+db1@127.0.0.1', command], { input: '' });
      assert.equal(r.code, 1, `${JSON.stringify(command)}\n${describeRun(r)}`);
      assert.match(r.stderr, new RegExp(`^jumpgate: carol may not reach ${osLogin}@db1 \\(no rule grants session access to db1\\)\\r?$`, 'm'), `${JSON.stringify(command)}\n${describeRun(r)}`);
      assert.doesNotMatch(r.stdout, /uid=/, `id ran on the target: ${JSON.stringify(command)}\n${describeRun(r)}`);
    }
    assert.ok(!fs.existsSync(marker), 'a command carol smuggled behind scp ran on the target');
    assert.ok(!fs.existsSync(landing), 'scp ran on the target');

    await w.gateway.waitForAuditEvent(() => w.gateway.auditEvents().filter((e) => fresh(e) && e.type === 'access.denied').length >= commands.length);
    const refusals = w.gateway.auditEvents().filter((e) => fresh(e) && e.type === 'access.denied');
    assert.equal(refusals.length, commands.length, JSON.stringify(refusals, null, 1));
    for (const e of refusals) {
      assert.equal(e.user, 'carol');
      assert.equal(e.access, 'session', JSON.stringify(e));
    }
    assert.equal(w.gateway.auditEvents().filter((e) => fresh(e) && e.type === 'session.start').length, 0);

    // Positive control: her real legacy scp works both ways.
    const src = makeFile('carol-up.bin', 200 * 1024 + 11);
    const dest = path.join(files, 'carol-up.dest');
    const up = await scp(carol, ['-O', '-q', src, `carol+db1@127.0.0.1:${dest}`]);
    assert.equal(up.code, 0, describeRun(up));
    sameBytes(src, dest);
    const back = path.join(files, 'carol-back.bin');
    const down = await scp(carol, ['-O', '-q', `carol+db1@127.0.0.1:${dest}`, back]);
    assert.equal(down.code, 0, describeRun(down));
    sameBytes(src, back);
    const upload = await waitTransfer(fresh, 'scp upload', dest);
    assert.equal(upload.user, 'carol');
    await waitTransfer(fresh, 'scp download', dest);
  });

  test('sftp -b: ln -s, chmod, ln and cp are audited, with what they did', { timeout: 90_000 }, async () => {
    const original = makeFile('links-original.bin', 4321);
    const symlink = path.join(files, 'links-symlink');
    const hardlink = path.join(files, 'links-hardlink');
    const copy = path.join(files, 'links-copy.bin');
    const fresh = newSince(w.gateway);
    const r = await sftpBatch(w.alice, 'alice+db1', [
      `ln -s ${original} ${symlink}`,
      `chmod 640 ${original}`,
      `ln ${original} ${hardlink}`,
      `cp ${original} ${copy}`,
      '',
    ].join('\n'));
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(fs.readlinkSync(symlink), original);
    assert.equal(fs.statSync(original).mode & 0o777, 0o640);
    assert.equal(fs.statSync(hardlink).ino, fs.statSync(original).ino);
    sameBytes(original, copy);

    await waitTransfer(fresh, 'symlink', `${symlink} -> ${original}`);
    const chmod = await waitTransfer(fresh, 'setstat', original);
    assert.equal(chmod.detail, 'mode 0640', JSON.stringify(chmod));
    await waitTransfer(fresh, 'hardlink', `${hardlink} -> ${original}`);
    await waitTransfer(fresh, 'copy-data', `${original} -> ${copy}`);
    for (const e of transfers(fresh)) assert.equal(e.user, 'alice');
  });

  test('a crafted SFTP client that reuses an OPEN request id is cut off, and its second OPEN never reaches the target', { timeout: 90_000 }, async () => {
    const decoy = makeFile('decoy.txt', 100);
    // Had the second OPEN reached the target, it would have created this file.
    const smuggled = path.join(files, 'created-by-the-second-open');
    const fresh = newSince(w.gateway);
    const sftp = await openRawSftp({ port: w.gateway.port, username: 'alice+db1', privateKeyPath: w.keys.alice.privateKeyPath });
    const src = `127.0.0.1:${sftp.localPort}`;
    try {
      sftp.send(request.init());
      await sftp.reply(2);
      // A well-formed exchange first: the channel is a working SFTP session.
      sftp.send(request.realpath(1, files));
      await sftp.reply(104, 1);
      sftp.send(Buffer.concat([request.open(7, decoy), request.open(7, smuggled, PFLAG.WRITE | PFLAG.CREAT)]));
      const { exitStatus } = await sftp.closed;
      assert.match(sftp.stderr(), /^jumpgate: the gateway cannot audit this file transfer \(sftp: request id 7 reused while outstanding\); closing\r?$/m);
      assert.equal(exitStatus, 255);
      assert.deepEqual(sftp.replies().filter((p) => p.type === 102), [], 'a handle came back for a request that should never have reached the target');
    } finally {
      sftp.end();
    }
    assert.ok(!fs.existsSync(smuggled), 'the second OPEN reached the target');
    const end = await w.gateway.waitForAuditEvent((e) => e.type === 'session.end' && e.src === src);
    assert.equal(end.kind, 'sftp');
    assert.equal(end.reason, 'error');
    assert.match(String(end.error), /request id 7 reused while outstanding/);
    assert.deepEqual(transfers(fresh).filter((e) => e.src === src), []);

    // Positive control: a real sftp session right after is not cut off.
    const listed = await sftpBatch(w.alice, 'alice+db1', `ls ${decoy}\n`);
    assert.equal(listed.code, 0, describeRun(listed));
    assert.match(listed.stdout, /decoy\.txt/);
  });

  test('PuTTY pscp in legacy scp mode (-scp): uploads and downloads, each file audited with its exact size', { timeout: 90_000 }, async () => {
    const ppk = `${w.keys.alice.privateKeyPath}.ppk`;
    if (!fs.existsSync(ppk)) {
      const converted = await run('puttygen', [w.keys.alice.privateKeyPath, '-O', 'private', '-o', ppk], { timeoutMs: 30_000 });
      assert.equal(converted.code, 0, describeRun(converted));
    }
    const hostKey = await run('ssh-keygen', ['-l', '-f', path.join(w.gateway.dataDir, 'host_keys', 'ssh_host_ed25519_key.pub')]);
    assert.equal(hostKey.code, 0, describeRun(hostKey));
    const fingerprint = hostKey.stdout.split(/\s+/)[1];
    const pscp = (args: string[]) => run('pscp', ['-scp', '-batch', '-q', '-P', String(w.gateway.port), '-i', ppk, '-hostkey', fingerprint, ...args], { timeoutMs: 60_000 });

    const src = makeFile('pscp-up.bin', 777_777);
    const dest = path.join(files, 'pscp-up.dest');
    const back = path.join(files, 'pscp-back.bin');
    const fresh = newSince(w.gateway);
    const up = await pscp([src, `alice+db1@127.0.0.1:${dest}`]);
    assert.equal(up.code, 0, describeRun(up));
    sameBytes(src, dest);
    const down = await pscp([`alice+db1@127.0.0.1:${dest}`, back]);
    assert.equal(down.code, 0, describeRun(down));
    sameBytes(src, back);
    assert.equal((await waitTransfer(fresh, 'scp upload', dest)).bytes, 777_777);
    assert.equal((await waitTransfer(fresh, 'scp download', dest)).bytes, 777_777);
  });
});
