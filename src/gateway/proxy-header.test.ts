import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import proxyProtocol from 'proxy-protocol-js';
import { looksLikeProxyHeader, parseProxyHeader } from './proxy-header.js';

const { V2ProxyProtocol, Command, TransportProtocol, IPv4ProxyAddress, IPv4Address, IPv6ProxyAddress, IPv6Address, UnspecProxyAddress } = proxyProtocol;

const v2 = (address: InstanceType<typeof IPv4ProxyAddress> | InstanceType<typeof IPv6ProxyAddress>, command = Command.PROXY) =>
  Buffer.from(new V2ProxyProtocol(command, TransportProtocol.STREAM, address).build());
const ssh = Buffer.from('SSH-2.0-OpenSSH_9.2\r\n');

describe('PROXY header', () => {
  test('v1 and v2 give the client address and the header length; SSH bytes after it are left alone', () => {
    const v1 = Buffer.from('PROXY TCP4 203.0.113.7 192.0.2.1 50123 2222\r\n');
    assert.deepEqual(parseProxyHeader(Buffer.concat([v1, ssh])), { kind: 'proxied', ip: '203.0.113.7', port: 50123, length: v1.length });
    const four = v2(new IPv4ProxyAddress(IPv4Address.createFrom([203, 0, 113, 8]), 40000, IPv4Address.createFrom([192, 0, 2, 1]), 2222));
    assert.deepEqual(parseProxyHeader(Buffer.concat([four, ssh])), { kind: 'proxied', ip: '203.0.113.8', port: 40000, length: four.length });
    const six = v2(new IPv6ProxyAddress(IPv6Address.createFrom([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]), 40001,
      IPv6Address.createFrom([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), 2222));
    assert.deepEqual(parseProxyHeader(six), { kind: 'proxied', ip: '2001:db8::9', port: 40001, length: six.length });
  });

  test('a header split over several reads is incomplete until its last byte', () => {
    const four = v2(new IPv4ProxyAddress(IPv4Address.createFrom([198, 51, 100, 1]), 1234, IPv4Address.createFrom([192, 0, 2, 1]), 2222));
    for (let cut = 1; cut < four.length; cut++) assert.equal(parseProxyHeader(four.subarray(0, cut)).kind, 'incomplete', `cut at ${cut}`);
    assert.equal(parseProxyHeader(Buffer.from('PROXY TCP4 198.51')).kind, 'incomplete');
  });

  test('health checks (v2 LOCAL, v1 UNKNOWN) carry no client', () => {
    const local = Buffer.from(new V2ProxyProtocol(Command.LOCAL, TransportProtocol.UNSPEC, new UnspecProxyAddress()).build());
    assert.deepEqual(parseProxyHeader(local), { kind: 'local', length: 16 });
    assert.deepEqual(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n')), { kind: 'local', length: 15 });
  });

  test('anything else is refused: plain SSH, bad addresses, overlong lines and headers', () => {
    assert.equal(parseProxyHeader(ssh).kind, 'invalid');
    assert.equal(parseProxyHeader(Buffer.from('PROXY TCP4 not-an-ip 192.0.2.1 1 2\r\n')).kind, 'invalid');
    assert.equal(parseProxyHeader(Buffer.from('PROXY TCP4 203.0.113.7 192.0.2.1 99999 2222\r\n')).kind, 'invalid');
    assert.equal(parseProxyHeader(Buffer.from('PROXY TCP6 203.0.113.7 192.0.2.1 1 2222\r\n')).kind, 'invalid');
    assert.equal(parseProxyHeader(Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`)).kind, 'invalid');
    const huge = Buffer.alloc(16);
    Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11]).copy(huge);
    huge.writeUInt16BE(60000, 14);
    assert.equal(parseProxyHeader(huge).kind, 'invalid');
  });

  test('only a PROXY signature looks like one', () => {
    assert.equal(looksLikeProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4')), true);
    assert.equal(looksLikeProxyHeader(Buffer.from([0x0d, 0x0a, 0x0d])), true);
    assert.equal(looksLikeProxyHeader(ssh), false);
  });
});
