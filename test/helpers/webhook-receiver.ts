import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got, body as raw bytes (a signature covers exactly those). */
export interface WebhookRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  receivedAt: number;
}

export interface WebhookReceiver {
  host: string;
  port: number;
  /** `http://host:port/path`. */
  url(pathname?: string): string;
  requests(): WebhookRequest[];
  /** Polls requests() until predicate holds for the whole list; returns it. */
  waitForRequests(predicate: (requests: WebhookRequest[]) => boolean, timeoutMs: number): Promise<WebhookRequest[]>;
  /** The status later requests are answered with (default 200). */
  respondWith(status: number): void;
  close(): Promise<void>;
}

/** `sha256=<hex HMAC-SHA256 of body under secret>`, the X-Jumpgate-Signature value. */
export function expectedSignature(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** True when `header` is the signature of `body` under `secret` (constant-time compare). */
export function signatureValid(secret: string, body: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string') return false;
  const want = Buffer.from(expectedSignature(secret, body));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}

const live = new Set<WebhookReceiver>();

/** An HTTP server on loopback that records every request and answers 200 (or respondWith's status). */
export async function startWebhookReceiver(host = '127.0.0.1'): Promise<WebhookReceiver> {
  const received: WebhookRequest[] = [];
  let status = 200;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        json = undefined;
      }
      received.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body, json, receivedAt: Date.now() });
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok\n' : 'not now\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | null = null;
  const receiver: WebhookReceiver = {
    host,
    port,
    url: (pathname = '/hook') => `http://${host}:${port}${pathname}`,
    requests: () => [...received],
    waitForRequests: async (predicate, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (predicate(receiver.requests())) return receiver.requests();
        if (Date.now() > deadline) {
          const seen = received.map((r) => `${r.method} ${r.path} ${r.body.toString('utf8').slice(0, 200)}`);
          throw new Error(`webhook receiver: expected requests did not arrive within ${timeoutMs} ms; got ${received.length}:\n${seen.join('\n')}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    respondWith: (s) => {
      status = s;
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        live.delete(receiver);
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
  live.add(receiver);
  return receiver;
}

/** For after(): closes every receiver still open. */
export async function closeWebhookReceivers(): Promise<void> {
  await Promise.all([...live].map((r) => r.close()));
}
