import http from 'node:http';
import https from 'node:https';

/** One response of the HTTP API, as a client sees it. */
export interface ApiResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  body: unknown;
}

export interface ApiClientOptions {
  /** http://127.0.0.1:PORT or https://… */
  base: string;
  /** The source address (any 127.x.y.z is local): for ban tests. */
  localAddress?: string;
  /** CA certificate (PEM) to trust, for HTTPS. */
  ca?: string | Buffer;
}

export interface RequestOptions {
  /** Sent as `Authorization: Bearer …`. */
  bearer?: string;
  /** Leave out the CSRF token a signed-in client would send. */
  omitCsrf?: boolean;
  headers?: Record<string, string>;
  /** A raw body instead of JSON. */
  raw?: string;
}

/**
 * A client of the console's API as a browser script or `curl` uses it: it keeps the
 * session cookie and the CSRF token from its sign-in and sends them as the console does.
 */
export class ApiClient {
  cookie: string | null = null;
  csrf: string | null = null;
  /** Every response body this client received, for the test that looks for secrets. */
  readonly seen: string[] = [];

  constructor(private readonly options: ApiClientOptions) {}

  async signIn(user: string, password: string, totp?: string): Promise<ApiResponse> {
    const response = await this.request('POST', '/api/v1/session', { user, password, ...(totp !== undefined ? { totp } : {}) });
    if (response.status === 200) {
      const setCookie = response.headers['set-cookie']?.[0] ?? '';
      this.cookie = setCookie.split(';')[0];
      this.csrf = (response.body as { csrfToken: string }).csrfToken;
    }
    return response;
  }

  request(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<ApiResponse> {
    const url = new URL(path, this.options.base);
    const payload = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const headers: Record<string, string> = { ...(payload !== undefined && options.raw === undefined ? { 'content-type': 'application/json' } : {}), ...options.headers };
    if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
    else if (this.cookie) headers.cookie = this.cookie;
    if (this.csrf && !options.omitCsrf && method !== 'GET' && !options.bearer) headers['x-csrf-token'] = this.csrf;
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = transport.request(url, {
        method, headers, localAddress: this.options.localAddress, ca: this.options.ca, timeout: 30_000,
      }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          this.seen.push(text);
          let parsed: unknown;
          try { parsed = JSON.parse(text); } catch { parsed = undefined; }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, body: parsed });
        });
        response.on('error', reject);
      });
      request.on('timeout', () => request.destroy(new Error(`${method} ${path} timed out`)));
      request.on('error', reject);
      request.end(payload);
    });
  }
}

/** The `error` of a refusal body, for messages in assertions. */
export function errorOf(response: ApiResponse): string {
  return (response.body as { error?: string } | undefined)?.error ?? response.text;
}
