/**
 * Recognises the command a legacy scp client runs on the far side (`scp -O`, PuTTY's pscp,
 * Dropbear's scp): `scp [-v] [-r] [-p] [-d] -t|-f [--] PATH`, as OpenSSH's scp.c builds it.
 * Only that exact shape is file transfer (access `sftp`); anything else is a command
 * (access `session`), because the target runs the whole string through the login's shell:
 * `scp -t /tmp/x; id` would run `id` too.
 *
 * PATH must be one shell word that the shell cannot turn into anything but a path: safe
 * characters unquoted, or single-quoted segments (`'a b'`, and `'\''` for a quote). OpenSSH
 * sends the path unquoted so that the far shell expands `~` and wildcards (`host:'*.log'`),
 * so `~` and `* ? [ ]` are allowed: they expand to names, never run anything. Everything
 * that can run or redirect (`; & | $ \` < > ( )`, newlines, other backslashes, double
 * quotes) or split the word (spaces outside quotes) makes it a command.
 */

export interface ScpCommand {
  /** `-t` (the client sends files: upload) or `-f` (the client receives them: download). */
  direction: 'upload' | 'download';
  /** The path as the far shell sees it after removing quotes (wildcards not expanded). */
  path: string;
  /** `-r`: directories are sent with D/E lines. */
  recursive: boolean;
  /** `-d`: the target must be a directory (scp sends it when several files go to one target). */
  targetIsDirectory: boolean;
}

/**
 * Characters a POSIX shell takes literally outside quotes, plus `~` and the wildcards;
 * beyond ASCII only letters, marks and digits (no Unicode spaces or symbols unquoted).
 */
const UNQUOTED = String.raw`[A-Za-z0-9_./~:@%+,=*?\[\]\-\p{L}\p{M}\p{N}]`;
/** A single-quoted segment: literal up to the next quote; no control characters. */
const QUOTED = String.raw`'[^'\u0000-\u001f\u007f]*'`;
const WORD = `(?:${UNQUOTED}|${QUOTED}|\\\\')+`;
const BLANK = '[ \\t]';
const SCP = new RegExp(`^${BLANK}*scp((?:${BLANK}+-[dpqrv]+)*)${BLANK}+-([tf])(${BLANK}+--)?${BLANK}+(${WORD})${BLANK}*$`, 'u');

export function parseScpCommand(command: string): ScpCommand | null {
  const match = SCP.exec(command);
  if (!match) return null;
  const [, flags, direction, endOfOptions, word] = match;
  // Without `--`, a path starting with `-` would be read as more options (OpenSSH adds `--`).
  if (word.startsWith('-') && !endOfOptions) return null;
  return {
    direction: direction === 't' ? 'upload' : 'download',
    path: unquote(word),
    recursive: flags.includes('r'),
    targetIsDirectory: flags.includes('d'),
  };
}

function unquote(word: string): string {
  return word.replace(/'([^']*)'|\\'/g, (_whole, quoted: string | undefined) => quoted ?? "'");
}
