/**
 * A real HAProxy (Debian's, installed by scripts/ensure-test-deps.mjs) in `mode tcp` in front of
 * gateway nodes on loopback, as docs/deployment.md sets it up: round robin, health checks,
 * `send-proxy-v2`, `option redispatch`. Its own config and stats socket in a temp dir; never
 * the system's /etc/haproxy.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from './ports.js';
import { run, spawnTracked, type TrackedProcess } from './processes.js';
import { makeTempDir } from './tmp.js';

export const HAPROXY = '/usr/sbin/haproxy';

export interface HaproxyFrontend {
  /** The address the nodes see HAProxy connect from (`source`). */
  source: string;
  servers: ReadonlyArray<{ name: string; port: number }>;
  /** `send-proxy-v2` (default) or `send-proxy` (v1). */
  proxyVersion?: 1 | 2;
}

export interface Haproxy {
  /** The port of each frontend, in the order given. */
  ports: number[];
  /** `UP`, `DOWN`… of every server of every backend, as `backend/server`. */
  status(): Promise<Record<string, string>>;
  /** Resolves once every server of the listed backends is UP. */
  waitUntil(servers: readonly string[], state: 'UP' | 'DOWN', timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startHaproxy(frontends: readonly HaproxyFrontend[]): Promise<Haproxy> {
  const dir = makeTempDir('haproxy');
  const socket = path.join(dir, 'haproxy.sock');
  const ports: number[] = [];
  const sections: string[] = [];
  for (const [index, frontend] of frontends.entries()) {
    const port = await freePort();
    ports.push(port);
    sections.push(`frontend gate${index}
  bind 127.0.0.1:${port}
  default_backend gates${index}
backend gates${index}
  balance roundrobin
  source ${frontend.source}
  default-server ${frontend.proxyVersion === 1 ? 'send-proxy' : 'send-proxy-v2'} check inter 500ms fall 2 rise 2
${frontend.servers.map((server) => `  server ${server.name} 127.0.0.1:${server.port}`).join('\n')}
`);
  }
  const config = `global
  stats socket ${socket} mode 600 level admin
defaults
  mode tcp
  timeout connect 2s
  timeout client 1h
  timeout server 1h
  retries 3
  option redispatch 1
${sections.join('')}`;
  const file = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(file, config);
  const check = await run(HAPROXY, ['-c', '-q', '-f', file], { timeoutMs: 10_000 });
  if (check.code !== 0) throw new Error(`haproxy -c rejected its config:\n${check.stderr}\n${config}`);
  const proc: TrackedProcess = spawnTracked(HAPROXY, ['-db', '-f', file]);

  const showStat = () => new Promise<string>((resolve, reject) => {
    const client = net.connect(socket);
    let text = '';
    client.on('connect', () => client.write('show stat\n'));
    client.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); });
    client.on('end', () => resolve(text));
    client.on('error', reject);
    client.setTimeout(5_000, () => { client.destroy(); reject(new Error('haproxy stats socket did not answer')); });
  });
  const status = async (): Promise<Record<string, string>> => {
    const [first, ...rest] = (await showStat()).split('\n');
    const header = first.replace(/^# /, '').split(',');
    const lines = rest.filter((line) => line && !line.startsWith('#'));
    const at = (name: string) => header.indexOf(name);
    const result: Record<string, string> = {};
    for (const line of lines) {
      const cells = line.split(',');
      const server = cells[at('svname')];
      if (server !== 'FRONTEND' && server !== 'BACKEND') result[`${cells[at('pxname')]}/${server}`] = cells[at('status')];
    }
    return result;
  };
  const haproxy: Haproxy = {
    ports,
    status,
    async waitUntil(servers, state, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (!proc.isAlive()) throw new Error(`haproxy exited:\n${proc.stderr()}`);
        const now: Record<string, string> = await status().catch(() => ({}));
        if (servers.every((server) => now[server]?.startsWith(state))) return;
        if (Date.now() > deadline) throw new Error(`haproxy servers not ${state} within ${timeoutMs} ms: ${JSON.stringify(now)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      await proc.kill();
    },
  };
  return haproxy;
}
