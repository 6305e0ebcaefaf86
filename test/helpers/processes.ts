import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';

/** What a finished child left behind. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the helper killed the child because it ran past its time limit. */
  timedOut: boolean;
}

export interface TrackedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves once the child has exited and its output streams are drained. */
  readonly exited: Promise<RunResult>;
  isAlive(): boolean;
  /** Sends a signal to the child itself (not its process group). */
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM to the whole process group, SIGKILL after graceMs; resolves on exit. */
  kill(graceMs?: number): Promise<RunResult>;
}

export interface SpawnTrackedOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed. Without it stdin is closed at once. */
  input?: string | Buffer;
  /** Keep stdin open (for children that must not see EOF). */
  keepStdinOpen?: boolean;
  /** Kill the child (process group) after this long; the result has timedOut. */
  timeoutMs?: number;
}

const registry = new Set<TrackedProcess>();
const DEFAULT_GRACE_MS = 2_000;

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  // Children are spawned detached, so each leads its own process group and a
  // group signal also reaches what it spawned (ssh -J runs a second ssh).
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Spawns a child that is remembered until it exits, so killAllChildren() and
 * the process 'exit' hook can always reach it, even when a test fails midway.
 */
export function spawnTracked(
  command: string,
  args: readonly string[],
  options: SpawnTrackedOptions = {},
): TrackedProcess {
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  };
  const child = spawn(command, args, spawnOptions);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => err.push(b));
  child.stdin?.on('error', () => {
    /* the child may exit before reading its input */
  });

  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;

  const exited = new Promise<RunResult>((resolve) => {
    let spawnError: Error | undefined;
    child.on('error', (e) => {
      spawnError = e;
      // 'close' does not always follow a failed spawn.
      if (child.pid === undefined) finish(null, null);
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (timer) clearTimeout(timer);
      registry.delete(tracked);
      const stderr = Buffer.concat(err).toString('utf8') + (spawnError ? `\n[spawn error] ${spawnError.message}` : '');
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr, timedOut });
    };
    child.on('close', (code, signal) => finish(code, signal));
  });

  let exitedFlag = false;
  exited.then(() => {
    exitedFlag = true;
  }, () => {});

  const tracked: TrackedProcess = {
    child,
    pid: child.pid ?? -1,
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
    exited,
    isAlive: () => !exitedFlag && child.exitCode === null && child.signalCode === null,
    signal: (sig) => {
      if (child.pid !== undefined && tracked.isAlive()) {
        try {
          child.kill(sig);
        } catch {
          /* gone */
        }
      }
    },
    kill: async (graceMs = DEFAULT_GRACE_MS) => {
      if (child.pid !== undefined && tracked.isAlive()) {
        signalGroup(child.pid, 'SIGTERM');
        const hard = setTimeout(() => signalGroup(child.pid as number, 'SIGKILL'), graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(hard);
          // Anything the child left in its group goes too.
          signalGroup(child.pid, 'SIGKILL');
        }
      }
      return exited;
    },
  };

  if (child.pid !== undefined) registry.add(tracked);

  if (options.timeoutMs !== undefined) {
    timer = setTimeout(() => {
      timedOut = true;
      tracked.kill(500).catch(() => {});
    }, options.timeoutMs);
  }

  if (options.input !== undefined) {
    child.stdin?.end(options.input);
  } else if (!options.keepStdinOpen) {
    child.stdin?.end();
  }
  return tracked;
}

/** Runs a command to completion (bounded by timeoutMs, default 30 s). */
export function run(
  command: string,
  args: readonly string[],
  options: SpawnTrackedOptions = {},
): Promise<RunResult> {
  return spawnTracked(command, args, { timeoutMs: 30_000, ...options }).exited;
}

/** Like run(), but throws with the child's output when it does not exit 0. */
export async function runOk(
  command: string,
  args: readonly string[],
  options: SpawnTrackedOptions = {},
): Promise<RunResult> {
  const r = await run(command, args, options);
  if (r.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''}\n` +
        `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`,
    );
  }
  return r;
}

/** Every descendant of `pid` (children, grandchildren, ...), read from /proc. */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/**
 * SIGKILLs a tracked child and every process below it at once, including those
 * that left its process group (a daemon that calls setsid() for each client,
 * as sshd does, so a group signal misses them and they keep its output pipes
 * open). Resolves once all of them are gone.
 */
export async function killProcessTree(proc: TrackedProcess, timeoutMs = 5_000): Promise<void> {
  if (!proc.isAlive()) return;
  // Frozen, the child forks nothing new while its tree is read.
  try {
    process.kill(proc.pid, 'SIGSTOP');
  } catch {
    /* already gone */
  }
  const tree = [...descendantsOf(proc.pid), proc.pid];
  for (const pid of tree) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  // 'exited' also waits for the output pipes, which the whole tree shared.
  await proc.exited;
  const deadline = Date.now() + timeoutMs;
  while (tree.some((pid) => fs.existsSync(`/proc/${pid}`)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Kills every child still running: SIGTERM, then SIGKILL after a short grace. */
export async function killAllChildren(graceMs = DEFAULT_GRACE_MS): Promise<void> {
  await Promise.all([...registry].map((p) => p.kill(graceMs)));
}

export function liveChildCount(): number {
  return registry.size;
}

// Last resort when a test file ends without running its after() hooks.
process.on('exit', () => {
  for (const p of registry) {
    if (p.pid > 0) signalGroup(p.pid, 'SIGKILL');
  }
});
