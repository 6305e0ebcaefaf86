import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { approvalUrl, hashApprovalCode, newApprovalCode, normaliseApprovalCode } from './approval-codes.js';

const http = (publicUrl: string | null, tls = false) => ({ listen: '127.0.0.1:8022', tls: { cert: tls ? 'c' : null, key: tls ? 'k' : null }, publicUrl });

describe('approval codes', () => {
  test('a new code reads back as itself, in any case and without its dash', () => {
    const code = newApprovalCode();
    assert.match(code, /^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    assert.equal(normaliseApprovalCode(code), code);
    assert.equal(normaliseApprovalCode(code.toLowerCase().replace('-', '')), code);
    assert.equal(hashApprovalCode(code).length, 64);
  });

  test('anything else is no code', () => {
    for (const text of ['', 'ABCD-EFG', 'ABCD-EFGHJ', 'ABCD-EFG0', 'ABCD/EFGH', '../../etc']) assert.equal(normaliseApprovalCode(text), null, text);
  });

  test('the URL uses http.publicUrl, else the listener', () => {
    assert.equal(approvalUrl({ http: http('https://gate.example:8443') }, 'ABCD-EFGH'), 'https://gate.example:8443/approve/ABCD-EFGH');
    assert.equal(approvalUrl({ http: http(null, true) }, 'ABCD-EFGH'), 'https://127.0.0.1:8022/approve/ABCD-EFGH');
  });
});
