/**
 * A minimal SSH transport client, enough to reach the key exchange: for tests that feed a
 * server key exchange values no real client would send.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';

const MSG_KEXINIT = 20;
const MSG_KEX_ECDH_INIT = 30;

export function sshString(value: Buffer | string): Buffer {
  const body = typeof value === 'string' ? Buffer.from(value) : value;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** An unencrypted binary packet (RFC 4253 §6): block size 8, at least 4 bytes of padding. */
function packet(payload: Buffer): Buffer {
  let padding = 8 - ((5 + payload.length) % 8);
  if (padding < 4) padding += 8;
  const head = Buffer.alloc(5);
  head.writeUInt32BE(1 + payload.length + padding);
  head[4] = padding;
  return Buffer.concat([head, payload, randomBytes(padding)]);
}

function kexinitPayload(kex: string): Buffer {
  const lists = [kex, 'ssh-ed25519', 'aes128-ctr', 'aes128-ctr', 'hmac-sha2-256', 'hmac-sha2-256', 'none', 'none', '', ''];
  return Buffer.concat([
    Buffer.from([MSG_KEXINIT]),
    randomBytes(16),
    ...lists.map((list) => sshString(list)),
    Buffer.from([0]), // first_kex_packet_follows
    Buffer.alloc(4), // reserved
  ]);
}

/**
 * Speaks the transport protocol up to the key exchange: version lines and a real KEXINIT
 * negotiation offering only `kex`, then sends SSH_MSG_KEX_ECDH_INIT with `clientValue` and
 * returns the server's KEXINIT and the payloads it sends afterwards, until it closes.
 */
export function sendKexInit(port: number, kex: string, clientValue: Buffer): Promise<{ serverKexinit: Buffer; after: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('the server neither answered nor closed within 10 s'));
    }, 10_000);
    let buf = Buffer.alloc(0);
    let versionSeen = false;
    let serverKexinit: Buffer | undefined;
    const after: Buffer[] = [];
    sock.on('connect', () => sock.write('SSH-2.0-raw_kex_test\r\n'));
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!versionSeen) {
        const eol = buf.indexOf('\r\n');
        if (eol === -1) return;
        versionSeen = true;
        buf = buf.subarray(eol + 2);
      }
      while (buf.length >= 5) {
        const len = buf.readUInt32BE(0);
        if (buf.length < 4 + len) return;
        const payload = buf.subarray(5, 4 + len - buf[4]);
        buf = buf.subarray(4 + len);
        if (!serverKexinit) {
          serverKexinit = Buffer.from(payload);
          sock.write(packet(kexinitPayload(kex)));
          sock.write(packet(Buffer.concat([Buffer.from([MSG_KEX_ECDH_INIT]), sshString(clientValue)])));
        } else {
          after.push(Buffer.from(payload));
        }
      }
    });
    sock.on('error', () => undefined); // a reset after the disconnect is fine
    sock.on('close', () => {
      clearTimeout(timer);
      if (!serverKexinit) return reject(new Error('the server closed before its KEXINIT'));
      resolve({ serverKexinit, after });
    });
  });
}
