/** The HTTP listener (`http.listen`): `/metrics` for Prometheus and `/healthz`. */
import { createServer, type Server } from 'node:http';
import type { Metrics } from '../metrics/metrics.js';
import { splitHostPort } from '../gateway/gateway.js';

export async function startHttpServer(listen: string, metrics: Metrics): Promise<Server> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method === 'GET' && url.pathname === '/metrics') {
      void metrics.registry.metrics().then((text) => {
        response.writeHead(200, { 'content-type': metrics.registry.contentType });
        response.end(text);
      }, (error: Error) => {
        response.writeHead(500).end(error.message);
      });
      return;
    }
    if (request.method === 'GET' && url.pathname === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  const { host, port } = splitHostPort(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => resolve());
  });
  return server;
}
