/**
 * RSA user keys with the clients people log in with. RSA keys sign with rsa-sha2-256 or
 * rsa-sha2-512 (RFC 8332): OpenSSH 9 and 10 (ProxyJump and a proxied session), PuTTY's
 * plink (the key converted with puttygen), Dropbear's dbclient and paramiko all log in
 * with one. A real `ssh-rsa` (SHA-1) signature is refused, and auth.failure says why;
 * beside each refusal the same key with the client's defaults logs in.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupAll } from '../helpers/cleanup.js';
import { settingsWith, type AuditEvent, type Gateway } from '../helpers/gateway.js';
import { fingerprintOf, type KeyPair } from '../helpers/keys.js';
import { repoRoot } from '../helpers/paths.js';
import { run, runOk, type RunResult } from '../helpers/processes.js';
import { describeRun, makeSshClient, type SshClient } from '../helpers/ssh-client.js';
import { osLogin } from '../helpers/sshd.js';
import { startProxiedWorld, type ProxiedWorld } from '../helpers/world.js';

const OPENSSH_10 = path.join(repoRoot, 'node_modules', '.cache', 'openssh-backports', 'root', 'usr', 'bin', 'ssh');
/** Debian's python, which has paramiko (another python3 may come first on PATH). */
const PYTHON = '/usr/bin/python3';
const SHA1_REFUSED = 'signature algorithm ssh-rsa refused (SHA-1)';

/** A key pair of the type `ssh-keygen` makes with `typeArgs` (default RSA 3072). */
async function makeKeyPairOfType(dir: string, name: string, typeArgs = ['-t', 'rsa', '-b', '3072']): Promise<KeyPair> {
  const privateKeyPath = path.join(dir, name);
  await runOk('ssh-keygen', [...typeArgs, '-N', '', '-f', privateKeyPath, '-C', `${name}@laptop`, '-q']);
  const publicKeyPath = `${privateKeyPath}.pub`;
  return { privateKeyPath, publicKeyPath, publicKey: fs.readFileSync(publicKeyPath, 'utf8').trim(), fingerprint: await fingerprintOf(publicKeyPath) };
}

/** The gateway's host key fingerprints, as plink's -hostkey takes them. */
async function hostKeyFingerprints(gateway: Gateway): Promise<string[]> {
  const dir = path.join(gateway.dataDir, 'host_keys');
  const publicKeys = fs.readdirSync(dir).filter((f) => f.endsWith('.pub'));
  return Promise.all(publicKeys.map((f) => fingerprintOf(path.join(dir, f))));
}

/**
 * How the paramiko client signs: as paramiko does by default (rsa-sha2-512, as the
 * gateway's server-sig-algs allow, RFC 8308 §3.1); or as a hostile client, with `ssh-rsa`
 * (SHA-1) although server-sig-algs does not list it; or with an `ssh-rsa` signature under
 * the name `ssh-ed25519`, so that a name check alone would let SHA-1 through.
 */
type ParamikoSigning = 'default' | 'sha1' | 'sha1-named-ed25519';

/**
 * A paramiko client that logs in as `user` with the RSA key in `keyFile` and runs
 * `command`; exit 5 when authentication fails. paramiko signs at once, without asking
 * first whether the key would do (RFC 4252 §7 allows both).
 */
function runParamiko(gateway: Gateway, user: string, keyFile: string, command: string, signing: ParamikoSigning): Promise<RunResult> {
  const script = `
import sys, paramiko
from paramiko.message import Message
host, port, user, key_file, command, signing = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
key = paramiko.RSAKey.from_private_key_file(key_file)
if signing == "sha1":
    paramiko.auth_handler.AuthHandler._finalize_pubkey_algorithm = lambda self, key_type: "ssh-rsa"
elif signing == "sha1-named-ed25519":
    paramiko.auth_handler.AuthHandler._finalize_pubkey_algorithm = lambda self, key_type: "ssh-ed25519"
    sign_sha1 = paramiko.RSAKey.sign_ssh_data
    def sign_named_ed25519(self, data, algorithm=None):
        signed = sign_sha1(self, data, "ssh-rsa")
        signed.rewind()
        signed.get_text()
        renamed = Message()
        renamed.add_string("ssh-ed25519")
        renamed.add_string(signed.get_binary())
        return renamed
    paramiko.RSAKey.sign_ssh_data = sign_named_ed25519
client = paramiko.SSHClient()
client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
try:
    client.connect(host, port=port, username=user, pkey=key, look_for_keys=False, allow_agent=False,
                   timeout=10, banner_timeout=10, auth_timeout=10)
except paramiko.AuthenticationException as e:
    print("auth failed: %s" % e, file=sys.stderr)
    sys.exit(5)
_, stdout, _ = client.exec_command(command, timeout=10)
sys.stdout.write(stdout.read().decode())
status = stdout.channel.recv_exit_status()
client.close()
sys.exit(status)
`;
  return run(PYTHON, ['-c', script, gateway.host, String(gateway.port), user, keyFile, command, signing], { timeoutMs: 30_000 });
}

after(async () => {
  await cleanupAll();
}, { timeout: 30_000 });

describe('RSA user keys', () => {
  let world: ProxiedWorld;
  let rita: KeyPair;
  /** Keys of the other types, all of them rita's too. */
  const others: Array<{ what: string; args: string[]; key?: KeyPair }> = [
    { what: 'ECDSA P-256', args: ['-t', 'ecdsa', '-b', '256'] },
    { what: 'ECDSA P-384', args: ['-t', 'ecdsa', '-b', '384'] },
    { what: 'ECDSA P-521', args: ['-t', 'ecdsa', '-b', '521'] },
    { what: 'Ed25519', args: ['-t', 'ed25519'] },
  ];
  /** rita's ssh: her RSA key for the gateway, the credential's key for db1 behind it (ProxyJump is end to end). */
  let ritaSsh: SshClient;

  before(async () => {
    world = await startProxiedWorld({
      // Every refusal here comes from 127.0.0.1; none of them should ban it.
      settings: settingsWith([[['bans', 'neverBan'], ['127.0.0.0/8']]]),
      extraYaml: async ({ gateway }) => {
        rita = await makeKeyPairOfType(gateway.workDir, 'rita');
        for (const [i, other] of others.entries()) other.key = await makeKeyPairOfType(gateway.workDir, `rita-${i}`, other.args);
        return `kind: Role
name: dba
allow:
  - targets: [db1]
    access: [jump, session]
    logins: [${osLogin}]
---
kind: User
name: rita
roles: [dba]
keys:
  - ${rita.publicKey}
${others.map((o) => `  - ${o.key!.publicKey}\n`).join('')}`;
      },
    });
    ritaSsh = makeSshClient({ dir: world.gateway.workDir, gateUser: 'rita', gatePort: world.gateway.port, gateKey: rita.privateKeyPath, targetKey: world.keys.db.privateKeyPath });
  }, { timeout: 90_000 });

  after(async () => {
    await world?.stop();
  }, { timeout: 30_000 });

  /** The auth.success of rita's login since `mark`: her RSA key, by its fingerprint. */
  const assertRitaLoggedIn = async (mark: number, what: string): Promise<AuditEvent> => {
    const success = await world.gateway.waitForAuditEvent((e, i) => i >= mark && e.type === 'auth.success' && e.user === 'rita');
    assert.equal(success.method, 'publickey', what);
    assert.equal(success.key, rita.fingerprint, what);
    return success;
  };

  const ritaFailures = (mark: number): AuditEvent[] =>
    world.gateway.auditEvents().slice(mark).filter((e) => e.type === 'auth.failure' && e.user === 'rita');

  test('OpenSSH 9: ProxyJump and a proxied session with an RSA key', { timeout: 60_000 }, async () => {
    let mark = world.gateway.auditEvents().length;
    const jump = await ritaSsh.run(['-J', 'gate', `${osLogin}@db1`, 'echo rsa-jump-ok'], { timeoutMs: 30_000 });
    assert.equal(jump.code, 0, describeRun(jump));
    assert.match(jump.stdout, /rsa-jump-ok/);
    await assertRitaLoggedIn(mark, 'ProxyJump');

    mark = world.gateway.auditEvents().length;
    const proxied = await ritaSsh.run(['rita+db1@gate', 'echo rsa-proxied-ok'], { timeoutMs: 30_000 });
    assert.equal(proxied.code, 0, describeRun(proxied));
    assert.match(proxied.stdout, /rsa-proxied-ok/);
    await assertRitaLoggedIn(mark, 'proxied session');
    assert.deepEqual(ritaFailures(mark), []);
  });

  test('OpenSSH 10: a proxied session with an RSA key', { timeout: 60_000 }, async () => {
    assert.ok(fs.existsSync(OPENSSH_10), `no OpenSSH 10 client at ${OPENSSH_10} (npm test unpacks it)`);
    const mark = world.gateway.auditEvents().length;
    const r = await run(OPENSSH_10, ['-F', ritaSsh.configFile, 'rita+db1@gate', 'echo rsa-openssh10-ok'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /rsa-openssh10-ok/);
    await assertRitaLoggedIn(mark, 'OpenSSH 10');
  });

  test('PuTTY plink with the key converted by puttygen', { timeout: 60_000 }, async () => {
    const ppk = `${rita.privateKeyPath}.ppk`;
    await runOk('puttygen', [rita.privateKeyPath, '-O', 'private', '-o', ppk]);
    const hostKeys = (await hostKeyFingerprints(world.gateway)).flatMap((fp) => ['-hostkey', fp]);
    const mark = world.gateway.auditEvents().length;
    const r = await run('plink', [
      '-batch', '-ssh', '-no-antispoof', '-noagent', '-P', String(world.gateway.port), '-i', ppk, ...hostKeys,
      '-l', 'rita+db1', world.gateway.host, 'echo rsa-plink-ok',
    ], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /rsa-plink-ok/);
    await assertRitaLoggedIn(mark, 'plink');
  });

  test('Dropbear dbclient with an RSA key', { timeout: 60_000 }, async () => {
    const dropbearKey = `${rita.privateKeyPath}.dropbear`;
    await runOk('dropbearconvert', ['openssh', 'dropbear', rita.privateKeyPath, dropbearKey]);
    const mark = world.gateway.auditEvents().length;
    // -y -y: accept the host key without a known_hosts entry.
    const r = await run('dbclient', [
      '-y', '-y', '-i', dropbearKey, '-p', String(world.gateway.port), '-l', 'rita+db1', world.gateway.host, 'echo rsa-dbclient-ok',
    ], { timeoutMs: 30_000, env: { ...process.env, HOME: world.gateway.workDir } });
    assert.equal(r.code, 0, `${describeRun(r)}\n${JSON.stringify(world.gateway.auditEvents().slice(mark))}`);
    assert.match(r.stdout, /rsa-dbclient-ok/);
    await assertRitaLoggedIn(mark, 'dbclient');
  });

  test('keys of the other types still log in (each signature verified with its own hash)', { timeout: 60_000 }, async () => {
    for (const { what, key } of others) {
      const mark = world.gateway.auditEvents().length;
      const r = await run('ssh', ['-F', ritaSsh.configFile, '-o', `IdentityFile=${key!.privateKeyPath}`, 'rita+db1@gate', 'echo other-key-ok'], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, `${what}\n${describeRun(r)}`);
      assert.match(r.stdout, /other-key-ok/);
      const success = await world.gateway.waitForAuditEvent((e, i) => i >= mark && e.type === 'auth.success' && e.user === 'rita');
      assert.equal(success.key, key!.fingerprint, what);
    }
  });

  test('paramiko with an RSA key', { timeout: 60_000 }, async () => {
    const mark = world.gateway.auditEvents().length;
    const r = await runParamiko(world.gateway, 'rita+db1', rita.privateKeyPath, 'echo rsa-paramiko-ok', 'default');
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /rsa-paramiko-ok/);
    await assertRitaLoggedIn(mark, 'paramiko');
  });

  test('an ssh-rsa (SHA-1) signature is refused and auth.failure says why; rsa-sha2 with the same key logs in', { timeout: 90_000 }, async () => {
    const refusals: Array<[ParamikoSigning, string]> = [
      ['sha1', SHA1_REFUSED],
      ['sha1-named-ed25519', 'signature algorithm ssh-ed25519 does not fit a ssh-rsa key'],
    ];
    for (const [signing, reason] of refusals) {
      const mark = world.gateway.auditEvents().length;
      const r = await runParamiko(world.gateway, 'rita+db1', rita.privateKeyPath, 'echo should-not-run', signing);
      assert.equal(r.code, 5, `${signing}: paramiko logged in\n${describeRun(r)}`);
      assert.doesNotMatch(r.stdout, /should-not-run/);
      await world.gateway.waitForAuditEvent((e, i) => i >= mark && e.type === 'auth.failure' && e.user === 'rita');
      assert.deepEqual(ritaFailures(mark).map((e) => [e.method, e.reason]), [['publickey', reason]], signing);
      assert.equal(world.gateway.auditEvents().slice(mark).filter((e) => e.type === 'auth.success').length, 0, signing);
    }

    // OpenSSH held to ssh-rsa finds it missing from the gateway's server-sig-algs and sends nothing.
    let mark = world.gateway.auditEvents().length;
    const forced = await ritaSsh.run(['-o', 'PubkeyAcceptedAlgorithms=ssh-rsa', '-o', 'LogLevel=DEBUG1', 'rita+db1@gate', 'echo should-not-run'], { timeoutMs: 30_000 });
    assert.equal(forced.code, 255, describeRun(forced));
    assert.match(forced.stderr, /no mutual signature algorithm/, describeRun(forced));
    assert.match(forced.stderr, /Permission denied \(publickey\)/, describeRun(forced));
    assert.equal(world.gateway.auditEvents().slice(mark).filter((e) => e.type === 'auth.success').length, 0);

    // The same key and clients with their default algorithms.
    mark = world.gateway.auditEvents().length;
    const viaParamiko = await runParamiko(world.gateway, 'rita+db1', rita.privateKeyPath, 'echo sha2-ok', 'default');
    assert.equal(viaParamiko.code, 0, describeRun(viaParamiko));
    assert.match(viaParamiko.stdout, /sha2-ok/);
    const viaOpenSsh = await ritaSsh.run(['rita+db1@gate', 'echo sha2-ok'], { timeoutMs: 30_000 });
    assert.equal(viaOpenSsh.code, 0, describeRun(viaOpenSsh));
    assert.match(viaOpenSsh.stdout, /sha2-ok/);
    await assertRitaLoggedIn(mark, 'defaults after the refusals');
    assert.deepEqual(ritaFailures(mark), []);
  });
});
