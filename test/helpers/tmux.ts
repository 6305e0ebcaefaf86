/**
 * A real terminal for interactive tests: a detached tmux session on a private
 * server socket (`tmux -L NAME`), driven with send-keys and read with
 * capture-pane. Panes stay on screen after their command exits
 * (remain-on-exit), so a test can read the last screen and the exit status.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { run, runOk } from './processes.js';
import { makeTempDir } from './tmp.js';

export interface TmuxStartOptions {
  /** The program and its arguments, run directly (no shell). */
  command: readonly string[];
  /** Initial terminal size; default 100x30. */
  width?: number;
  height?: number;
  /** Extra environment variables for the command. */
  env?: Record<string, string>;
}

export interface TmuxTerminal {
  /** The private server's socket name (`tmux -L socket`). */
  readonly socket: string;
  /** The session (and target) name. */
  readonly session: string;
  /** Types literal text (no key names are interpreted). */
  type(text: string): Promise<void>;
  /** Sends tmux key names: `Enter`, `C-c`, `C-d`, ... */
  keys(...names: string[]): Promise<void>;
  /** Types a line and presses Enter. */
  line(text: string): Promise<void>;
  /** The pane's whole text, scrollback included, wrapped lines joined. */
  capture(): Promise<string>;
  /** Polls the pane until `pattern` matches its text; returns that text. */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  /** Resizes the window (the program sees SIGWINCH). */
  resize(width: number, height: number): Promise<void>;
  /** Whether the pane's command has exited. */
  isDead(): Promise<boolean>;
  /** Waits until the pane's command exits; returns its exit status (null if unknown). */
  waitForExit(timeoutMs?: number): Promise<number | null>;
  /** Kills the whole private tmux server; safe to call twice. */
  kill(): Promise<void>;
}

const liveSockets = new Set<string>();
const socketFiles = new Map<string, string>();

function removeSocketFile(socket: string): void {
  const file = socketFiles.get(socket);
  socketFiles.delete(socket);
  if (!file) return;
  try {
    fs.rmSync(file, { force: true });
  } catch {
    /* best effort */
  }
}

function quote(word: string): string {
  return /^[A-Za-z0-9_./:=@+%,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Starts `options.command` in a fresh detached tmux session on its own server. */
export async function startTmux(options: TmuxStartOptions): Promise<TmuxTerminal> {
  const socket = `jumpgate-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  const session = 'term';
  const dir = makeTempDir('tmux');
  const conf = path.join(dir, 'tmux.conf');
  fs.writeFileSync(
    conf,
    ['set -g remain-on-exit on', 'set -g history-limit 20000', 'set -g status off', 'set -g default-terminal screen', ''].join('\n'),
  );
  const tmux = (args: readonly string[], timeoutMs = 10_000) => run('tmux', ['-L', socket, ...args], { timeoutMs });
  const tmuxOk = (args: readonly string[], timeoutMs = 10_000) => runOk('tmux', ['-L', socket, ...args], { timeoutMs });

  const envPrefix = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${quote(v)}`);
  const inner = [...(envPrefix.length > 0 ? ['env', ...envPrefix] : []), ...options.command.map(quote)].join(' ');
  // The command's exit status goes to a file: tmux sometimes marks a pane dead (its pty
  // closed) without ever recording how the command ended.
  const statusFile = path.join(dir, 'exit-status');
  const commandLine = `sh -c ${quote(`${inner}; echo $? > ${statusFile}`)}`;
  liveSockets.add(socket);
  await tmuxOk([
    '-f', conf,
    'new-session', '-d', '-s', session,
    '-x', String(options.width ?? 100), '-y', String(options.height ?? 30),
    commandLine,
  ]);

  // The server leaves its socket file behind after kill-server; remember where it is.
  const socketPath = (await tmux(['display-message', '-p', '#{socket_path}'])).stdout.trim();
  if (socketPath) socketFiles.set(socket, socketPath);

  let killed = false;
  const terminal: TmuxTerminal = {
    socket,
    session,
    type: async (text) => {
      await tmuxOk(['send-keys', '-t', session, '-l', text]);
    },
    keys: async (...names) => {
      await tmuxOk(['send-keys', '-t', session, ...names]);
    },
    line: async (text) => {
      await tmuxOk(['send-keys', '-t', session, '-l', text]);
      await tmuxOk(['send-keys', '-t', session, 'Enter']);
    },
    capture: async () => {
      const r = await tmuxOk(['capture-pane', '-p', '-J', '-t', session, '-S', '-']);
      return r.stdout;
    },
    waitFor: async (pattern, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      let text = '';
      for (;;) {
        text = await terminal.capture();
        if (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) return text;
        if (Date.now() > deadline) {
          throw new Error(`the terminal did not show ${String(pattern)} within ${timeoutMs} ms; it shows:\n${text}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    resize: async (width, height) => {
      await tmuxOk(['resize-window', '-t', session, '-x', String(width), '-y', String(height)]);
    },
    isDead: async () => {
      const r = await tmux(['display-message', '-p', '-t', session, '#{pane_dead}']);
      return r.code !== 0 || r.stdout.trim() === '1';
    },
    waitForExit: async (timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (fs.existsSync(statusFile)) {
          const text = fs.readFileSync(statusFile, 'utf8').trim();
          if (text !== '') return Number(text);
        }
        if (Date.now() > deadline) {
          throw new Error(`the terminal's command did not exit within ${timeoutMs} ms; it shows:\n${await terminal.capture()}`);
        }
        await new Promise((r2) => setTimeout(r2, 100));
      }
    },
    kill: async () => {
      if (killed) return;
      killed = true;
      await tmux(['kill-server']);
      liveSockets.delete(socket);
      removeSocketFile(socket);
    },
  };
  return terminal;
}

/** For after(): kills every tmux server this file started that is still running. */
export function killAllTmux(): void {
  for (const socket of liveSockets) {
    try {
      execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore', timeout: 5_000 });
    } catch {
      /* already gone */
    }
    liveSockets.delete(socket);
    removeSocketFile(socket);
  }
}

// Last resort when a test file ends without running its after() hooks.
process.on('exit', killAllTmux);
