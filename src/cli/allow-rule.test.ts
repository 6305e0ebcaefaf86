import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllowText } from './allow-rule.js';

test('lists split on +, labels on :, numbers become numbers, a bare boolean is true', () => {
  assert.deepEqual(parseAllowText('targets=db1+db2,access=jump+session,ports=22+5432,logins=root,labels=env:prod+zone:db,mfa,record=false'), {
    targets: ['db1', 'db2'], access: ['jump', 'session'], ports: [22, 5432], logins: ['root'], labels: { env: 'prod', zone: 'db' }, mfa: true, record: false,
  });
});

test('targets=* is every target', () => {
  assert.deepEqual(parseAllowText('targets=*,access=jump'), { targets: ['*'], access: ['jump'] });
});

test('mistakes are bad usage naming the field', () => {
  assert.throws(() => parseAllowText('targets=db1,acess=jump'), /unknown field acess; the fields are targets, labels, access/);
  assert.throws(() => parseAllowText('targets=db1,targets=db2'), /targets is given twice/);
  assert.throws(() => parseAllowText('targets,access=jump'), /targets needs a value/);
  assert.throws(() => parseAllowText('targets=db1,ports=ssh'), /ports must be numbers joined by \+, not ssh/);
  assert.throws(() => parseAllowText('labels=env,access=jump'), /labels must be key:value pairs/);
  assert.throws(() => parseAllowText('targets=db1,mfa=maybe'), /mfa must be true or false, not maybe/);
  assert.throws(() => parseAllowText(' , '), /--allow needs a rule/);
});
