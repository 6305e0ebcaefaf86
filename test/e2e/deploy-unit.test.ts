/**
 * The systemd unit in deploy/ (docs/deploy.md): systemd itself reads it without a
 * complaint, and it keeps the promises the docs make (a user of its own, only the port
 * capability, a read-only system but for the data dir). Skipped where systemd is absent.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { jumpgateBin, repoRoot } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tmp.js';

const UNIT = path.join(repoRoot, 'deploy', 'jumpgate.service');
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;

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
