/**
 * The systemd unit in deploy/ (docs/deploy.md): systemd itself reads it without a
 * complaint, and it keeps the promises the docs make (a user of its own, only the port
 * capability, a read-only system but for the data dir), and what it relies on holds: a
 * user without privileges, holding CAP_NET_BIND_SERVICE alone and unable to gain more,
 * serves SSH on port 22. The verify step is skipped where systemd is absent.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { cleanupAll } from '../helpers/cleanup.js';
import { jumpgateBin, repoRoot } from '../helpers/paths.js';
import { spawnTracked } from '../helpers/processes.js';
import { makeTempDir } from '../helpers/tmp.js';

const UNIT = path.join(repoRoot, 'deploy', 'jumpgate.service');
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;
/** The service user must be able to read the checkout (it is root's own under /root on some machines). */
const readableByOthers = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', jumpgateBin], { stdio: 'ignore' }).status === 0;

test('deploy/jumpgate.service passes systemd-analyze verify', { timeout: 60_000, skip: hasSystemdAnalyze ? false : 'systemd-analyze is not installed' }, () => {
  // verify insists that ExecStart exists: point it at this checkout's launcher.
  const copy = path.join(makeTempDir('unit'), 'jumpgate.service');
  fs.writeFileSync(copy, fs.readFileSync(UNIT, 'utf8').replaceAll('/opt/jumpgate/bin/jumpgate', jumpgateBin));
  const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8', timeout: 50_000 });
  assert.equal(r.status, 0, `systemd-analyze verify:\n${r.stdout}\n${r.stderr}`);
  assert.equal(r.stderr.trim(), '', `systemd-analyze verify complained:\n${r.stderr}`);
});

test('the unit runs jumpgate unprivileged, hardened, with its data dir writable', () => {
  const lines = new Set(fs.readFileSync(UNIT, 'utf8').split('\n').map((line) => line.trim()));
  for (const expected of [
    'User=jumpgate',
    'ExecStart=/opt/jumpgate/bin/jumpgate serve --data /var/lib/jumpgate',
    'AmbientCapabilities=CAP_NET_BIND_SERVICE',
    'CapabilityBoundingSet=CAP_NET_BIND_SERVICE',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ReadWritePaths=/var/lib/jumpgate',
    'ProtectHome=yes',
    'KillSignal=SIGTERM',
  ]) {
    assert.ok(lines.has(expected), `deploy/jumpgate.service lacks ${expected}`);
  }
});

after(async () => {
  await cleanupAll();
}, { timeout: 30_000 });

test('an unprivileged user with CAP_NET_BIND_SERVICE alone serves SSH on port 22', { timeout: 60_000, skip: readableByOthers ? false : 'this checkout is not readable by other users' }, async () => {
  assert.equal(process.getuid?.(), 0, 'this test needs root: it drops to nobody with setpriv in a network namespace of its own (unshare)');
  const work = makeTempDir('unit-run');
  fs.chmodSync(work, 0o755);
  const dataDir = path.join(work, 'data');
  fs.mkdirSync(dataDir, { mode: 0o700 });
  fs.chownSync(dataDir, 65534, 65534);
  const log = path.join(work, 'serve.log');
  // What the unit's User=, AmbientCapabilities=, CapabilityBoundingSet= and NoNewPrivileges= make of the process.
  const script = `
ip link set lo up
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+net_bind_service --ambient-caps=-all,+net_bind_service \\
  --bounding-set=-all,+net_bind_service --no-new-privs ${jumpgateBin} serve --data ${dataDir} --listen 127.0.0.1:22 --http '' >/dev/null 2>${log} &
serve=$!
for i in $(seq 100); do grep -q 'ssh listening' ${log} && break; sleep 0.2; done
ssh-keyscan -t ed25519 -p 22 127.0.0.1 2>/dev/null
grep -E '^Cap(Eff|Bnd|Amb)' /proc/$serve/status
grep -E '^NoNewPrivs' /proc/$serve/status
kill $serve; wait $serve; echo "serve exit $?"
`;
  const r = await spawnTracked('unshare', ['--net', 'bash', '-c', script], { cwd: work, timeoutMs: 50_000 }).exited;
  const shown = `${r.stdout}\n${r.stderr}\n--- serve ---\n${fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : ''}`;
  assert.match(r.stdout, /^127\.0\.0\.1 ssh-ed25519 AAAA/m, `nothing answered SSH on port 22\n${shown}`);
  // CAP_NET_BIND_SERVICE is bit 10: 0x400, and nothing else.
  for (const set of ['CapEff', 'CapBnd', 'CapAmb']) assert.match(r.stdout, new RegExp(`^${set}:\\s+0000000000000400$`, 'm'), shown);
  assert.match(r.stdout, /^NoNewPrivs:\s+1$/m, shown);
  assert.match(r.stdout, /^serve exit 0$/m, shown);
  for (const file of ['jumpgate.yaml', 'vault.key', 'jumpgate.db', 'audit.log']) {
    const stat = fs.statSync(path.join(dataDir, file));
    assert.equal(stat.uid, 65534, `${file} is not the service user's`);
    assert.equal(stat.mode & 0o777, 0o600, `${file} is not 0600`);
  }
});
