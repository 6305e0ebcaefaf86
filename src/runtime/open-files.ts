/**
 * The process's open-files limit (RLIMIT_NOFILE) and how many descriptors it holds, read
 * from /proc (Linux). Every client connection, upstream dial, audit and recording file is
 * a descriptor; the common soft limit of 1024 is far below what a gateway needs.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { Logger } from '../log/logger.js';

export interface OpenFilesLimit { soft: number; hard: number }

/** The limit as /proc/PID/limits states it ("unlimited" is read as Infinity); null off Linux. */
export function readOpenFilesLimit(pid: number | 'self' = 'self'): OpenFilesLimit | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/limits`, 'utf8');
  } catch {
    return null;
  }
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (!match) return null;
  const value = (field: string) => (field === 'unlimited' ? Infinity : Number(field));
  return { soft: value(match[1]), hard: value(match[2]) };
}

/** Descriptors this process holds now (the directory listing's own one included). */
export function openDescriptorCount(): number | null {
  try {
    return fs.readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}

/**
 * Makes sure the soft open-files limit is the hard limit, as daemons do at start, and
 * logs the limit in force. Node itself raises it at start-up (node.cc, PlatformInit), but
 * nothing in Node's API promises that or can do it later: Node has no setrlimit(2). So
 * when the soft limit is still lower, util-linux `prlimit` (always on Debian) raises it on
 * this process with prlimit(2), which a process of the same user may do up to the hard
 * limit without privileges. Without /proc or prlimit the limit stays as it was, and that
 * is logged. Returns the limit in force afterwards.
 */
export function raiseOpenFilesLimit(logger: Pick<Logger, 'info' | 'warn'>): OpenFilesLimit | null {
  const before = readOpenFilesLimit();
  if (!before) {
    logger.warn('cannot read the open files limit (no /proc); new connections are not refused when descriptors run short');
    return null;
  }
  if (before.soft >= before.hard || !Number.isFinite(before.hard)) {
    logger.info(`open files limit ${before.soft}`);
    return before;
  }
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${before.hard}:${before.hard}`], { stdio: 'ignore', timeout: 5000 });
  } catch (error) {
    logger.warn(`could not raise the open files limit from ${before.soft} to ${before.hard} with prlimit`, { error });
    return before;
  }
  const after = readOpenFilesLimit() ?? before;
  logger.info(`open files limit raised from ${before.soft} to ${after.soft}`);
  return after;
}
