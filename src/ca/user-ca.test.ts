import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { userCertificateTtlMs } from './user-ca.js';
import type { Role } from '../domain/resources.js';

const role = (name: string, certificateTTL?: string): Role => ({ kind: 'Role', name, allow: [], ...(certificateTTL ? { certificateTTL } : {}) });
const EIGHT_HOURS = 8 * 3_600_000;

describe('userCertificateTtlMs', () => {
  test('the setting, unless a role of the person says less; the shortest counts', () => {
    assert.equal(userCertificateTtlMs(EIGHT_HOURS, []), EIGHT_HOURS);
    assert.equal(userCertificateTtlMs(EIGHT_HOURS, [role('a')]), EIGHT_HOURS);
    assert.equal(userCertificateTtlMs(EIGHT_HOURS, [role('a', '1h'), role('b', '10m'), role('c')]), 600_000);
  });

  test('a role never lengthens it', () => {
    assert.equal(userCertificateTtlMs(EIGHT_HOURS, [role('a', '24h')]), EIGHT_HOURS);
  });
});
