import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { Namespace } from './netns.js';
import { jumpgateBin, repoRoot } from './paths.js';
import { freePort } from './ports.js';
import { freshPostgresDatabase } from './postgres.js';
import { run, spawnTracked, type RunResult, type SpawnTrackedOptions, type TrackedProcess } from './processes.js';
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
  /** The process id of `jumpgate serve` (for /proc/PID/status and /proc/PID/limits). */
  pid(): number;
  dataDir: string;
  host: string;
  port: number;
  /** A scratch directory for this gateway's test files (YAML, keys, ssh configs). */
  workDir: string;
  stderrText(): string;
  isAlive(): boolean;
  /**
   * SIGTERM, then waits for the exit (SIGKILL after 15 s) and resolves with
   * it, whatever it was: for tests that judge the shutdown themselves.
   * Safe to call twice.
   */
  terminate(): Promise<RunResult>;
  /**
   * SIGTERM, then waits for the exit; throws unless the gateway exits 0.
   * Safe to call twice. After terminate() it only waits for that: the test
   * that called terminate() judged the exit.
   */
  stop(): Promise<void>;
  /** stop(), then `serve` again on the same data dir, address and port. */
  restart(): Promise<void>;
  /** Runs `jumpgate ARGS... --data DIR` to completion (inside the gateway's namespace, if any). */
  jumpgate(args: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<RunResult>;
  /** Writes yamlText to a file and runs `jumpgate apply -f FILE`; throws unless it exits 0. */
  apply(yamlText: string): Promise<RunResult>;
  /** `jumpgate user passwd USER --stdin` for each user; throws unless each exits 0. */
  setPasswords(passwords: Readonly<Record<string, string>>): Promise<void>;
  /** Writes a file in workDir and returns its path. */
  writeFile(name: string, text: string): string;
  auditLogPath(): string;
  /** Every event in DATA/audit.log, in order. */
  auditEvents(): AuditEvent[];
  /**
   * Polls the audit log until some event satisfies predicate, which also gets
   * the event's index (to skip what was there before a mark).
   */
  waitForAuditEvent(predicate: (e: AuditEvent, index: number) => boolean, timeoutMs?: number): Promise<AuditEvent>;
}

export interface GatewayOptions {
  /** The address to listen on: a 127.0.0.0/8 address, or an address of `netns`. Default 127.0.0.1. */
  host?: string;
  /** Default: a free port on host, or 2222 inside a namespace. */
  port?: number;
  /**
   * Edits DATA/jumpgate.yaml between `jumpgate init` and `serve`: gets the
   * file init wrote, returns the new text (see settingsWith). Without it,
   * serve initialises the data dir itself.
   */
  settings?: (yaml: string) => string;
  /**
   * Runs serve and every CLI command inside this network namespace, so
   * `target test` dials from where the gateway dials.
   */
  netns?: Namespace;
  /** Time allowed for `serve` to initialise the data dir and listen. */
  startTimeoutMs?: number;
  /** More environment for `serve` (e.g. JUMPGATE_LOG_LEVEL). */
  env?: NodeJS.ProcessEnv;
  /** Starts `serve` under this open-files limit (util-linux `prlimit`, which execs it: same pid). */
  openFilesLimit?: { soft: number; hard: number };
  /**
   * The store: `sqlite` (default, in the data dir) or `postgres`, a fresh database of this
   * test process's private PostgreSQL cluster (test/helpers/postgres.ts).
   */
  store?: 'sqlite' | 'postgres';
  /**
   * Another node of the same gateway (SPEC §10): its data dir starts as a copy of this one's
   * settings, host keys, vault key and signing key (not its audit files, recordings or
   * SQLite file), then `settings` edits it. `store` is then left to the copied settings.
   */
  dataDirFrom?: string;
}

/** What a second node takes from the first one's data dir: everything but what is the node's own. */
function copyNodeDataDir(from: string, to: string): void {
  const ownOfNode = (name: string) => /^audit.*\.log$/.test(name) || name === 'recordings' || name === 'spool' || /\.db(-wal|-shm)?$/.test(name);
  fs.mkdirSync(to, { recursive: true, mode: 0o700 });
  for (const name of fs.readdirSync(from)) {
    if (!ownOfNode(name)) fs.cpSync(path.join(from, name), path.join(to, name), { recursive: true, preserveTimestamps: true });
  }
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
 * A `settings` edit that sets each key path (`['ssh', 'authMethods']`) to its
 * value in the jumpgate.yaml that init wrote, so the file keeps its shape and
 * comments and every other key its default.
 */
export function settingsWith(changes: ReadonlyArray<readonly [keyPath: readonly string[], value: unknown]>): (yaml: string) => string {
  return (yaml) => {
    const doc = YAML.parseDocument(yaml);
    for (const [keyPath, value] of changes) doc.setIn(keyPath, doc.createNode(value, { flow: true }));
    return String(doc);
  };
}

/**
 * Starts `jumpgate serve` and waits for its "listening on HOST:PORT" log line.
 * The data dir is fresh: serve initialises it, or, with `settings`, `jumpgate
 * init` does and the settings are edited before serve starts.
 */
export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const host = options.host ?? '127.0.0.1';
  const { netns } = options;
  const workDir = makeTempDir('gateway');
  const dataDir = path.join(workDir, 'data');
  const port = options.port ?? (netns ? 2222 : await freePort(host));
  const listen = `${host}:${port}`;
  const cliOptions: SpawnTrackedOptions = { cwd: repoRoot, env: cliEnv() };
  const runCli = (args: readonly string[], runOptions: SpawnTrackedOptions): Promise<RunResult> =>
    netns
      ? netns.run(process.execPath, [jumpgateBin, ...args], { ...cliOptions, ...runOptions })
      : runJumpgate(args, runOptions);

  let editSettings = options.settings;
  if (options.store === 'postgres') {
    const useDatabase = settingsWith([[['store'], await freshPostgresDatabase('gateway')]]);
    editSettings = (yaml) => useDatabase(options.settings ? options.settings(yaml) : yaml);
  }
  let settingsText: string | undefined;
  if (options.dataDirFrom) {
    copyNodeDataDir(options.dataDirFrom, dataDir);
    const settingsFile = path.join(dataDir, 'jumpgate.yaml');
    settingsText = (options.settings ?? ((yaml: string) => yaml))(fs.readFileSync(settingsFile, 'utf8'));
    fs.writeFileSync(settingsFile, settingsText, { mode: 0o600 });
  } else if (editSettings) {
    // init makes the host keys, vault key and store; the settings are then
    // edited (keys left out keep their defaults, SPEC §5).
    const init = await runCli(['init', '--data', dataDir], { timeoutMs: 30_000 });
    if (init.code !== 0) {
      throw new Error(`jumpgate init exited ${init.code ?? init.signal}\nstdout:\n${init.stdout}\nstderr:\n${init.stderr}`);
    }
    const settingsFile = path.join(dataDir, 'jumpgate.yaml');
    settingsText = editSettings(fs.readFileSync(settingsFile, 'utf8'));
    fs.writeFileSync(settingsFile, settingsText, { mode: 0o600 });
  }
  const settingsNote = settingsText === undefined ? '' : `\njumpgate.yaml:\n${settingsText}`;

  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  const serve = async (): Promise<TrackedProcess> => {
    // A test uses only addresses it made: the default HTTP listener (a fixed port) stays off
    // unless the test's settings name a listener of their own.
    const defaultHttp = settingsText === undefined || /^ {2}listen: 127\.0\.0\.1:8022 /m.test(settingsText);
    const nodeArgs = [jumpgateBin, 'serve', '--data', dataDir, '--listen', listen, ...(defaultHttp ? ['--http', ''] : [])];
    const limit = options.openFilesLimit;
    const [command, serveArgs] = limit
      ? ['prlimit', [`--nofile=${limit.soft}:${limit.hard}`, process.execPath, ...nodeArgs]]
      : [process.execPath, nodeArgs];
    const serveOptions: SpawnTrackedOptions = { ...cliOptions, env: { ...cliOptions.env, ...options.env }, keepStdinOpen: true };
    const proc = netns ? netns.spawn(command, serveArgs, serveOptions) : spawnTracked(command, serveArgs, serveOptions);
    const where = netns ? ` in ${netns.name}` : '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`jumpgate serve${where} did not log "listening on ${listen}" within ${startTimeoutMs} ms\nstderr:\n${proc.stderr()}\nstdout:\n${proc.stdout()}${settingsNote}`));
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
        proc.exited.then((r) =>
          reject(new Error(`jumpgate serve${where} exited ${r.code ?? r.signal} before listening\nstderr:\n${r.stderr}\nstdout:\n${r.stdout}${settingsNote}`)),
        reject);
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
    return proc;
  };

  let proc = await serve();
  let terminated: Promise<RunResult> | undefined;
  let stopped: Promise<void> | undefined;
  let fileCounter = 0;
  const auditLogPath = (): string => path.join(dataDir, 'audit.log');

  const gateway: Gateway = {
    pid: () => proc.pid,
    dataDir,
    host,
    port,
    workDir,
    stderrText: () => proc.stderr(),
    isAlive: () => proc.isAlive(),
    terminate: () => {
      terminated ??= (async () => {
        proc.signal('SIGTERM');
        const hardKill = setTimeout(() => { proc.kill(0).catch(() => {}); }, 15_000);
        const r = await proc.exited;
        clearTimeout(hardKill);
        return r;
      })();
      return terminated;
    },
    stop: () => {
      stopped ??= terminated
        ? terminated.then(() => undefined)
        : (async () => {
            if (!proc.isAlive()) {
              const r = await proc.exited;
              throw new Error(`jumpgate serve had already exited (${r.code ?? r.signal})\nstderr:\n${r.stderr}`);
            }
            const r = await gateway.terminate();
            if (r.code !== 0) {
              throw new Error(`jumpgate serve exited ${r.code ?? r.signal} after SIGTERM (expected 0)\nstderr:\n${r.stderr}`);
            }
          })();
      return stopped;
    },
    restart: async () => {
      await gateway.stop();
      terminated = undefined;
      stopped = undefined;
      proc = await serve();
    },
    jumpgate: (args, runOptions = {}) =>
      runCli([...args, '--data', dataDir], {
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
    setPasswords: async (passwords) => {
      for (const [user, password] of Object.entries(passwords)) {
        const r = await gateway.jumpgate(['user', 'passwd', user, '--stdin'], { input: password });
        if (r.code !== 0) throw new Error(`jumpgate user passwd ${user} exited ${r.code ?? r.signal}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
      }
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
          const types = gateway.auditEvents().map((e) => `${e.type}(${String(e.user)}${typeof e.reason === 'string' ? `: ${e.reason}` : ''})`);
          throw new Error(`no matching audit event within ${timeoutMs} ms; events: ${types.join(', ')}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
  return gateway;
}
