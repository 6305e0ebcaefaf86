import fs from 'node:fs';
import path from 'node:path';
import { jumpgateBin, repoRoot } from './paths.js';
import { freePort } from './ports.js';
import { run, spawnTracked, type RunResult, type SpawnTrackedOptions } from './processes.js';
import { makeTempDir } from './tmp.js';

/** One line of DATA/audit.log. */
export interface AuditEvent {
  ts: string;
  id: string;
  type: string;
  user?: string | null;
  src?: string | null;
  prev: string;
  hash: string;
  [field: string]: unknown;
}

export interface Gateway {
  dataDir: string;
  host: string;
  port: number;
  /** A scratch directory for this gateway's test files (YAML, keys, ssh configs). */
  workDir: string;
  stderrText(): string;
  isAlive(): boolean;
  /**
   * SIGTERM, then waits for the exit; throws unless the gateway exits 0.
   * Safe to call twice.
   */
  stop(): Promise<void>;
  /** Runs `jumpgate ARGS... --data DIR` to completion. */
  jumpgate(args: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<RunResult>;
  /** Writes yamlText to a file and runs `jumpgate apply -f FILE`; throws unless it exits 0. */
  apply(yamlText: string): Promise<RunResult>;
  /** Writes a file in workDir and returns its path. */
  writeFile(name: string, text: string): string;
  auditLogPath(): string;
  /** Every event in DATA/audit.log, in order. */
  auditEvents(): AuditEvent[];
  /** Polls the audit log until some event satisfies predicate. */
  waitForAuditEvent(predicate: (e: AuditEvent) => boolean, timeoutMs?: number): Promise<AuditEvent>;
}

export interface GatewayOptions {
  /** A 127.0.0.0/8 address to listen on; default 127.0.0.1. */
  host?: string;
  /** Time allowed for `serve` to initialise the data dir and listen. */
  startTimeoutMs?: number;
}

function cliEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // --data always wins, but a stray variable must not point a test elsewhere.
  delete env.JUMPGATE_DATA;
  return env;
}

/** Runs the product CLI with the same node binary that runs the tests. */
export function runJumpgate(args: readonly string[], options: SpawnTrackedOptions = {}): Promise<RunResult> {
  return run(process.execPath, [jumpgateBin, ...args], { cwd: repoRoot, env: cliEnv(), timeoutMs: 30_000, ...options });
}

/**
 * Starts `jumpgate serve` on a fresh data dir (serve initialises it) and waits
 * for its "listening on HOST:PORT" log line.
 */
export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const host = options.host ?? '127.0.0.1';
  const workDir = makeTempDir('gateway');
  const dataDir = path.join(workDir, 'data');
  const port = await freePort(host);
  const listen = `${host}:${port}`;

  const proc = spawnTracked(process.execPath, [jumpgateBin, 'serve', '--data', dataDir, '--listen', listen], {
    cwd: repoRoot,
    env: cliEnv(),
    keepStdinOpen: true,
  });

  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`jumpgate serve did not log "listening on ${listen}" within ${startTimeoutMs} ms\nstderr:\n${proc.stderr()}\nstdout:\n${proc.stdout()}`));
    }, startTimeoutMs);
    const onData = (): void => {
      if (proc.stderr().includes(`listening on ${listen}`)) {
        cleanup();
        resolve();
      }
    };
    const onExit = (): void => {
      cleanup();
      // Wait for the output streams to drain so the error shows all of it.
      void proc.exited.then((r) =>
        reject(new Error(`jumpgate serve exited ${r.code ?? r.signal} before listening\nstderr:\n${r.stderr}\nstdout:\n${r.stdout}`)),
      );
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      proc.child.stderr?.off('data', onData);
      proc.child.off('exit', onExit);
    };
    proc.child.stderr?.on('data', onData);
    proc.child.on('exit', onExit);
    onData();
  }).catch(async (e: unknown) => {
    await proc.kill();
    throw e;
  });

  let fileCounter = 0;
  let stopped: Promise<void> | undefined;
  const auditLogPath = (): string => path.join(dataDir, 'audit.log');

  const gateway: Gateway = {
    dataDir,
    host,
    port,
    workDir,
    stderrText: () => proc.stderr(),
    isAlive: () => proc.isAlive(),
    stop: () => {
      stopped ??= (async () => {
        if (!proc.isAlive()) {
          const r = await proc.exited;
          throw new Error(`jumpgate serve had already exited (${r.code ?? r.signal})\nstderr:\n${r.stderr}`);
        }
        proc.signal('SIGTERM');
        const hardKill = setTimeout(() => void proc.kill(0), 15_000);
        const r = await proc.exited;
        clearTimeout(hardKill);
        if (r.code !== 0) {
          throw new Error(`jumpgate serve exited ${r.code ?? r.signal} after SIGTERM (expected 0)\nstderr:\n${r.stderr}`);
        }
      })();
      return stopped;
    },
    jumpgate: (args, runOptions = {}) =>
      runJumpgate([...args, '--data', dataDir], {
        ...(runOptions.input !== undefined ? { input: runOptions.input } : {}),
        timeoutMs: runOptions.timeoutMs ?? 30_000,
      }),
    apply: async (yamlText) => {
      fileCounter += 1;
      const file = gateway.writeFile(`resources-${fileCounter}.yaml`, yamlText);
      const r = await gateway.jumpgate(['apply', '-f', file]);
      if (r.code !== 0) {
        throw new Error(`jumpgate apply -f ${file} exited ${r.code ?? r.signal}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\nYAML:\n${yamlText}`);
      }
      return r;
    },
    writeFile: (name, text) => {
      const file = path.join(workDir, name);
      fs.writeFileSync(file, text, { mode: 0o600 });
      return file;
    },
    auditLogPath,
    auditEvents: () => {
      let text: string;
      try {
        text = fs.readFileSync(auditLogPath(), 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw e;
      }
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line, i) => {
          try {
            return JSON.parse(line) as AuditEvent;
          } catch {
            throw new Error(`audit.log line ${i + 1} is not JSON: ${line}`);
          }
        });
    },
    waitForAuditEvent: async (predicate, timeoutMs = 5_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = gateway.auditEvents().find(predicate);
        if (found) return found;
        if (Date.now() > deadline) {
          const types = gateway.auditEvents().map((e) => `${e.type}(${String(e.user)})`);
          throw new Error(`no matching audit event within ${timeoutMs} ms; events: ${types.join(', ')}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
  return gateway;
}
