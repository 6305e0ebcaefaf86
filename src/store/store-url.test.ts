import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hideStorePassword, redactStoreUrl } from './store-url.js';

describe('redactStoreUrl', () => {
  const cases: Array<[string, string, string]> = [
    ['a password in the user part', 'postgres://jumpgate:s3cret-pw@db.example:5432/jumpgate', 'postgres://jumpgate:***@db.example:5432/jumpgate'],
    ['a percent-encoded one', 'postgresql://jg:p%40ss%2Fw@10.0.0.5/jg?sslmode=require', 'postgresql://jg:***@10.0.0.5/jg?sslmode=require'],
    ['a password parameter', 'postgres://jg@db/jg?password=s3cret&sslmode=verify-full', 'postgres://jg@db/jg?password=***&sslmode=verify-full'],
    ['no password (PGPASSWORD or ~/.pgpass)', 'postgres://jg@db:5432/jg', 'postgres://jg@db:5432/jg'],
    ['an unparseable URL loses everything before the host', 'postgres://jg:s3cret@[db/x', 'postgres://***@[db/x'],
    ['a SQLite file', 'sqlite:jumpgate.db', 'sqlite:jumpgate.db'],
  ];
  for (const [what, url, shown] of cases) {
    test(what, () => assert.equal(redactStoreUrl(url), shown));
  }
});

describe('hideStorePassword', () => {
  test('takes the password out of a message, as written and as decoded', () => {
    const url = 'postgres://jg:p%40ss-word@db/jg';
    assert.equal(hideStorePassword(`connecting to ${url} as p@ss-word (p%40ss-word) failed`, url),
      'connecting to postgres://jg:***@db/jg as *** (***) failed');
  });

  test('takes out a password of an unparseable URL, and leaves a message without one alone', () => {
    assert.equal(hideStorePassword('bad s3cret here', 'postgres://jg:s3cret@[db/x'), 'bad *** here');
    assert.equal(hideStorePassword('connect ECONNREFUSED 127.0.0.1:5432', 'postgres://jg:s3cret@db/jg'), 'connect ECONNREFUSED 127.0.0.1:5432');
  });
});
