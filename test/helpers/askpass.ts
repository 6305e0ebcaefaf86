import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir } from './tmp.js';

/**
 * An SSH_ASKPASS program for the stock OpenSSH client. OpenSSH runs it with the
 * prompt text as its only argument and reads the answer from its stdout. This
 * one appends every prompt to a log, answers prompts that mention
 * "Verification" with the current code, prompts that mention "assword" with
 * the current password, and refuses (exit 1, no answer) anything else.
 *
 * ssh only uses it when SSH_ASKPASS_REQUIRE=force, DISPLAY is set and
 * BatchMode is off; stdin need not be a terminal. `env` carries the variables.
 */
export interface Askpass {
  /** The executable script. */
  script: string;
  /** process.env plus SSH_ASKPASS, SSH_ASKPASS_REQUIRE=force and DISPLAY, for the ssh child. */
  env: NodeJS.ProcessEnv;
  /** The answer to password prompts (`user@host's password:`, `Password: `). */
  setPassword(password: string): void;
  /** The answer to `Verification code: ` prompts ("" sends an empty answer). */
  setCode(code: string): void;
  /** Every prompt the script was asked, oldest first. */
  prompts(): string[];
  /** Forgets the prompts seen so far. */
  clearPrompts(): void;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function makeAskpass(label = 'askpass'): Askpass {
  const dir = makeTempDir(label);
  const script = path.join(dir, 'askpass.sh');
  const log = path.join(dir, 'prompts.log');
  const passwordFile = path.join(dir, 'password');
  const codeFile = path.join(dir, 'code');
  const q = shellQuote;
  // Each prompt is logged on one line (newlines in it become spaces).
  const body = [
    '#!/bin/sh',
    `printf '%s\\n' "$(printf '%s' "$1" | tr '\\n' ' ')" >> ${q(log)}`,
    'case "$1" in',
    `  *Verification*) [ -f ${q(codeFile)} ] || exit 1; printf '%s\\n' "$(cat ${q(codeFile)})" ;;`,
    `  *assword*) [ -f ${q(passwordFile)} ] || exit 1; printf '%s\\n' "$(cat ${q(passwordFile)})" ;;`,
    '  *) exit 1 ;;',
    'esac',
    '',
  ].join('\n');
  fs.writeFileSync(script, body, { mode: 0o700 });
  fs.writeFileSync(log, '', { mode: 0o600 });

  return {
    script,
    env: { ...process.env, SSH_ASKPASS: script, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: process.env.DISPLAY || ':0' },
    setPassword: (password) => fs.writeFileSync(passwordFile, password, { mode: 0o600 }),
    setCode: (code) => fs.writeFileSync(codeFile, code, { mode: 0o600 }),
    prompts: () =>
      fs
        .readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => line !== ''),
    clearPrompts: () => fs.writeFileSync(log, ''),
  };
}
