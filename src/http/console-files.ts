/**
 * The web console's files, built by `npm ci` (prepare: `vite build`) into console/dist of
 * the package and served from there: nothing is fetched from elsewhere at run time. Any
 * path that is not a file is the single-page app's own route: index.html answers it.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** dist/src/http/ → the package root. */
export const CONSOLE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../console/dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.json': 'application/json',
};

function fileFor(pathname: string, root: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  const file = path.resolve(root, '.' + path.posix.normalize(decoded));
  if (!file.startsWith(root + path.sep)) return null;
  return existsSync(file) && statSync(file).isFile() ? file : null;
}

export function serveConsole(request: IncomingMessage, response: ServerResponse, url: URL, headers: Record<string, string>, root = CONSOLE_DIR): void {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { ...headers, 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  const asset = url.pathname.startsWith('/assets/') ? fileFor(url.pathname, root) : null;
  const file = asset ?? (url.pathname.startsWith('/assets/') ? null : path.join(root, 'index.html'));
  if (!file || !existsSync(file)) {
    const missing = !existsSync(path.join(root, 'index.html'));
    response.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end(missing ? 'the web console is not built (npm ci builds it)\n' : 'not found\n');
    return;
  }
  // Built assets carry a content hash in their names: cached for good; index.html never.
  const cache = asset ? 'public, max-age=31536000, immutable' : 'no-store';
  response.writeHead(200, { ...headers, 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': cache });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  createReadStream(file).on('error', () => response.destroy()).pipe(response);
}
