import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpHeadError, MAX_HEAD_BYTES, bodyFraming, headerHasToken, parseRequestHead } from './http-request-head.js';
import { ChunkedDecoder } from './chunked-body.js';

const head = (text: string) => Buffer.from(text, 'latin1');

describe('HTTP request head', () => {
  test('FreeRDP\'s RDG_OUT_DATA upgrade request, and the bytes after it', () => {
    const parsed = parseRequestHead(head('RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\nHost: gate:8443\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n'
      + 'Sec-Websocket-Key: ABCDEFGHIJKLMNO\r\nRDG-Connection-Id: {1234}\r\nContent-Length: 0\r\n\r\nrest'));
    assert.ok(parsed);
    assert.equal(parsed.head.method, 'RDG_OUT_DATA');
    assert.equal(parsed.head.target, '/remoteDesktopGateway/');
    assert.equal(parsed.head.headers.get('rdg-connection-id'), '{1234}');
    assert.ok(headerHasToken(parsed.head, 'connection', 'upgrade'));
    assert.ok(headerHasToken(parsed.head, 'upgrade', 'websocket'));
    assert.equal(parsed.rest.toString(), 'rest');
    assert.deepEqual(bodyFraming(parsed.head), { kind: 'length', length: 0 });
  });

  test('an incomplete head waits for more', () => {
    assert.equal(parseRequestHead(head('RDG_IN_DATA / HTTP/1.1\r\nHost: x\r\n')), null);
  });

  const refusals: Array<[string, string | Buffer, number]> = [
    ['HTTP/1.0', 'GET / HTTP/1.0\r\n\r\n', 505],
    ['a malformed request line', 'GET  / HTTP/1.1\r\n\r\n', 400],
    ['a folded header', 'GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n', 400],
    ['a space before the colon', 'GET / HTTP/1.1\r\nHost : x\r\n\r\n', 400],
    ['too many fields', `GET / HTTP/1.1\r\n${'A: b\r\n'.repeat(65)}\r\n`, 431],
    ['a head past the bound, even unfinished', Buffer.alloc(MAX_HEAD_BYTES + 1, 0x41), 431],
  ];
  for (const [name, text, status] of refusals) {
    test(`refused: ${name}`, () => assert.throws(() => parseRequestHead(typeof text === 'string' ? head(text) : text),
      (error: Error) => error instanceof HttpHeadError && error.status === status));
  }

  test('body framing: chunked, a length, and never both', () => {
    const framing = (fields: string) => bodyFraming(parseRequestHead(head(`RDG_IN_DATA / HTTP/1.1\r\n${fields}\r\n`))!.head);
    assert.deepEqual(framing('Transfer-Encoding: chunked\r\n'), { kind: 'chunked' });
    assert.deepEqual(framing('Content-Length: 12\r\n'), { kind: 'length', length: 12 });
    assert.throws(() => framing('Transfer-Encoding: chunked\r\nContent-Length: 5\r\n'), HttpHeadError);
    assert.throws(() => framing('Content-Length: -1\r\n'), HttpHeadError);
    assert.throws(() => framing('Transfer-Encoding: gzip\r\n'), HttpHeadError);
  });
});

describe('chunked body', () => {
  const body = head('5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n');

  test('the data of every chunk, however the bytes arrive, and the end', () => {
    for (const size of [1, 4, body.length]) {
      const decoder = new ChunkedDecoder();
      const data: Buffer[] = [];
      let ended = false;
      for (let at = 0; at < body.length; at += size) {
        const out = decoder.push(body.subarray(at, at + size));
        data.push(...out.data);
        ended ||= out.ended;
      }
      assert.equal(Buffer.concat(data).toString(), 'hello world', `pieces of ${size}`);
      assert.ok(ended);
    }
  });

  const refusals: Array<[string, string]> = [
    ['a size that is not hex', 'zz\r\n'],
    ['a size line past the bound', `${'0'.repeat(100)}\r\n`],
    ['a chunk longer than its size', '2\r\nabc\r\n'],
    ['a chunk past the bound', 'fffffff\r\n'],
  ];
  for (const [name, text] of refusals) {
    test(`refused: ${name}`, () => assert.throws(() => new ChunkedDecoder().push(head(text)), HttpHeadError));
  }
});
