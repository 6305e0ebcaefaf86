import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rdpFindings } from './rdp-doctor.js';
import { parseSettings } from '../config/load-settings.js';
import { ensureSelfSignedPair, selfSignedCertificate } from '../data-dir/self-signed-certificate.js';

test('doctor on the RD Gateway\'s TLS pair: silent when off, a warning for self-signed, failures for a wrong or open key', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jumpgate-rdp-doctor-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const on = parseSettings('rdp:\n  listen: 127.0.0.1:8443\n');
  assert.deepEqual(rdpFindings(dir, parseSettings('')), []);
  assert.equal(rdpFindings(dir, on)[0].level, 'fail', 'no pair yet');

  ensureSelfSignedPair(path.join(dir, 'tls/rdp.crt'), path.join(dir, 'tls/rdp.key'), 'gate.example');
  assert.deepEqual(rdpFindings(dir, on).map((f) => f.level), ['warn']);
  assert.match(rdpFindings(dir, on)[0].what, /self-signed/);
  assert.deepEqual(rdpFindings(dir, on, new Date(Date.now() + 900 * 86_400_000)).map((f) => f.level), ['fail', 'warn'], 'expired');

  writeFileSync(path.join(dir, 'tls/rdp.key'), selfSignedCertificate('other').key, { mode: 0o644 });
  chmodSync(path.join(dir, 'tls/rdp.key'), 0o644);
  assert.deepEqual(rdpFindings(dir, on).map((f) => f.what.replaceAll(dir, 'DIR')), [
    'rdp.tls: DIR/tls/rdp.key is not the key of DIR/tls/rdp.crt',
    'rdp.tls key DIR/tls/rdp.key is readable by others',
    'the RD Gateway certificate is self-signed: clients warn (or need /cert:ignore)',
  ]);
});
