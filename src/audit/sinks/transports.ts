/**
 * How each kind of sink puts events on the wire. `send` resolves once the batch is handed
 * to the receiver (syslog) or acknowledged with a 2xx (webhook), and rejects otherwise;
 * the spool then keeps the batch for a later try.
 */
import { createSocket } from 'node:dgram';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AuditEvent } from '../events.js';
import { formatRfc5424, facilityCode } from './syslog-format.js';

export interface Transport {
  send(events: AuditEvent[]): Promise<void>;
  close(): void;
}

function splitAddress(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address);
  if (!match) throw new Error(`not HOST:PORT: ${address}`);
  return { host: match[1], port: Number(match[2]) };
}

export interface SyslogOptions {
  transport: 'udp' | 'tcp' | 'tls';
  address: string;
  facility: string;
  appName: string;
  tls?: { ca: string | null; cert: string | null; key: string | null };
}

/** RFC 5426 (UDP: one message per datagram), RFC 6587 octet counting (TCP), RFC 5425 (TLS). */
export function syslogTransport(options: SyslogOptions, resolvePath: (file: string) => string): Transport {
  const { host, port } = splitAddress(options.address);
  const format = (event: AuditEvent) => formatRfc5424(event, { facility: facilityCode(options.facility), appName: options.appName });

  if (options.transport === 'udp') {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.unref();
    return {
      async send(events) {
        for (const event of events) {
          await new Promise<void>((resolve, reject) => socket.send(Buffer.from(format(event)), port, host, (error) => (error ? reject(error) : resolve())));
        }
      },
      close: () => socket.close(),
    };
  }

  let socket: Socket | null = null;
  const open = () => new Promise<Socket>((resolve, reject) => {
    const tls = options.tls;
    const connection: Socket = options.transport === 'tls'
      ? tlsConnect({
        host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host,
        // Pinning: only the configured CA is trusted for the receiver's certificate.
        ca: tls?.ca ? readFileSync(resolvePath(tls.ca)) : undefined,
        cert: tls?.cert ? readFileSync(resolvePath(tls.cert)) : undefined,
        key: tls?.key ? readFileSync(resolvePath(tls.key)) : undefined,
        rejectUnauthorized: true,
      }, () => resolve(connection))
      : netConnect({ host, port }, () => resolve(connection));
    connection.setTimeout(10_000, () => connection.destroy(new Error('timed out')));
    connection.once('error', reject);
    connection.on('error', () => {});
    connection.on('close', () => { if (socket === connection) socket = null; });
    // The receiver never speaks; its FIN means it is going away.
    connection.on('end', () => connection.destroy());
    connection.on('data', () => {});
  });
  return {
    async send(events) {
      if (!socket || socket.destroyed) {
        socket = await open();
        socket.setTimeout(0);
      }
      const frames = events.map((event) => {
        const message = Buffer.from(format(event));
        return Buffer.concat([Buffer.from(`${message.length} `), message]);
      });
      const current = socket;
      await new Promise<void>((resolve, reject) => current.write(Buffer.concat(frames), (error) => (error ? reject(error) : resolve())));
      if (current.destroyed) throw new Error('receiver closed the connection');
    },
    close: () => socket?.destroy(),
  };
}

export interface WebhookOptions { url: string; secretFile?: string }

/**
 * A JSON POST per event, signed `X-Jumpgate-Signature: sha256=<hex HMAC-SHA256 of the body>`,
 * over one kept-alive connection (node:http rather than fetch: a POST per audit event made
 * fetch's machinery a large part of a busy gateway's CPU).
 */
export function webhookTransport(options: WebhookOptions, resolvePath: (file: string) => string): Transport {
  const secret = options.secretFile ? readFileSync(resolvePath(options.secretFile), 'utf8').trim() : '';
  const url = new URL(options.url);
  const secure = url.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: 1 }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const post = (body: string) => new Promise<void>((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'user-agent': 'jumpgate', 'content-length': Buffer.byteLength(body) };
    if (secret) headers['x-jumpgate-signature'] = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const request = (secure ? httpsRequest : httpRequest)(url, { method: 'POST', headers, agent, timeout: 10_000 }, (response) => {
      // The answer's body is read and dropped, so the connection can carry the next POST.
      response.resume();
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(`HTTP ${status}`));
      });
      response.on('error', reject);
      // A connection lost mid-answer (after 'end' this is a no-op).
      response.on('close', () => reject(new Error('connection closed before the answer ended')));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
    request.end(body);
  });
  return {
    async send(events) {
      for (const event of events) await post(JSON.stringify(event));
    },
    close: () => agent.destroy(),
  };
}
