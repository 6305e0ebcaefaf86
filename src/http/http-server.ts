/**
 * The HTTP listener (`http.listen`, SPEC §9): the web console, the API under `/api/v1/`,
 * `/metrics` for Prometheus and `/healthz`; HTTPS when `http.tls` names a certificate.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import type { Metrics } from '../metrics/metrics.js';
import { splitHostPort } from '../gateway/gateway.js';
import { securityHeaders } from './security-headers.js';
import { serveConsole } from './console-files.js';

/** Open connections to the console, API and metrics at once; past it new ones are closed. */
export const MAX_HTTP_CONNECTIONS = 1000;

export interface HttpOptions {
  /** Files of the certificate chain and key (PEM): serve HTTPS. */
  tls?: { cert: string; key: string } | null;
  /** The API, when the console is served (absent: /metrics and /healthz only). */
  api?: ((request: IncomingMessage, response: ServerResponse, url: URL) => Promise<void>) & {
    /** Single sign-on under `/auth/`: true when it answered. */
    signOn?: (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean>;
  };
  /** The WebSocket routes under `/api/v1/` (the web terminal, watching, joining). */
  upgrade?: (request: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => void;
  onError?: (error: unknown) => void;
}

export async function startHttpServer(listen: string, metrics: Metrics, options: HttpOptions = {}): Promise<Server> {
  const secure = Boolean(options.tls);
  const headers = securityHeaders(secure);
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://localhost');
    } catch {
      response.writeHead(400, headers).end();
      return;
    }
    if (request.method === 'GET' && url.pathname === '/metrics') {
      metrics.registry.metrics().then((text) => {
        response.writeHead(200, { ...headers, 'content-type': metrics.registry.contentType });
        response.end(text);
      }, (error: Error) => {
        response.writeHead(500, headers).end(error.message);
      });
      return;
    }
    if (request.method === 'GET' && url.pathname === '/healthz') {
      response.writeHead(200, { ...headers, 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (options.api && (url.pathname === '/api' || url.pathname.startsWith('/api/'))) {
      for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
      options.api(request, response, url).catch((error: unknown) => {
        options.onError?.(error);
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"jumpgate: internal error"}');
        else response.destroy();
      });
      return;
    }
    if (options.api?.signOn && url.pathname.startsWith('/auth/')) {
      for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
      options.api.signOn(request, response, url).catch((error: unknown) => {
        options.onError?.(error);
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' }).end('jumpgate: internal error\n');
        else response.destroy();
      });
      return;
    }
    if (options.api) {
      serveConsole(request, response, url, headers);
      return;
    }
    response.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('not found\n');
  };
  const server = options.tls
    ? createHttpsServer({ cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key) }, handler)
    : createHttpServer(handler);
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    let url: URL | null = null;
    try {
      url = new URL(request.url ?? '/', 'http://localhost');
    } catch { /* answered below */ }
    if (!url || !options.upgrade || !url.pathname.startsWith('/api/')) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    options.upgrade(request, socket, head, url);
  });
  // Slow clients may not hold a connection for ever (one person's tab must not starve others),
  // and strangers may not open connections without end.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  server.maxConnections = MAX_HTTP_CONNECTIONS;
  const { host, port } = splitHostPort(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  return server;
}
