import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { selfSignedCertificate } from './self-signed-certificate.js';

test('the certificate parses, is self-signed by its key and names the host', () => {
  const now = new Date('2026-12-02T10:00:00Z');
  const { cert, key } = selfSignedCertificate('gate.example', now);
  const x509 = new X509Certificate(cert);
  assert.equal(x509.subject, 'CN=jumpgate gate.example');
  assert.ok(x509.verify(x509.publicKey), 'signed by its own key');
  assert.ok(x509.checkPrivateKey(createPrivateKey(key)), 'the key belongs to it');
  assert.ok(x509.checkHost('gate.example'));
  assert.ok(x509.checkHost('localhost'));
  assert.ok(x509.checkIP('127.0.0.1'));
  assert.equal(x509.ca, false);
  assert.equal(new Date(x509.validFrom).getTime(), now.getTime());
  assert.ok(new Date(x509.validTo).getTime() > now.getTime() + 800 * 86_400_000);
});

test('an address as the host name is an IP subject alternative name', () => {
  const x509 = new X509Certificate(selfSignedCertificate('10.1.2.3').cert);
  assert.ok(x509.checkIP('10.1.2.3'));
});

test('every certificate parses, whatever its random serial (a non-minimal serial failed one in 256)', () => {
  for (let i = 0; i < 1500; i++) {
    const x509 = new X509Certificate(selfSignedCertificate('gate.example').cert);
    assert.match(x509.serialNumber, /^[4-7][0-9A-F]{31}$/);
  }
});
