/**
 * The shell commands a rotation runs on a target, as the target's login, to edit
 * `~/.ssh/authorized_keys` (what OpenSSH's sshd reads by default). Every value put into a
 * command is checked to hold only characters that need no quoting.
 */
import type { Client } from 'ssh2';

/** Base64 of a key blob, and a comment of the gateway's own making: nothing a shell reads. */
const SAFE = /^[A-Za-z0-9+/=:._ -]+$/;

function safe(value: string): string {
  if (!SAFE.test(value)) throw new Error(`refusing to put ${JSON.stringify(value)} into a shell command`);
  return value;
}

const FILE = 'f="$HOME/.ssh/authorized_keys"';

/** Appends `line` unless a line already holds its key (so a repeated run adds nothing). */
export function appendKeyCommand(line: string, base64: string): string {
  return `umask 077 && ${FILE} && mkdir -p "$HOME/.ssh" && touch "$f" && { grep -qF '${safe(base64)}' "$f" || printf '%s\\n' '${safe(line)}' >>"$f"; }`;
}

/**
 * Removes every line holding the key. Written back in place (`cat >`), so the file keeps its
 * owner and mode; a file without the key is left untouched.
 */
export function removeKeyCommand(base64: string): string {
  const key = safe(base64);
  return `${FILE} && t="$f.jumpgate-$$" && { [ ! -f "$f" ] || ! grep -qF '${key}' "$f" || { { grep -vF '${key}' "$f" || true; } >"$t" && cat "$t" >"$f"; rm -f "$t"; }; }`;
}

/** Runs `command` on the target: its exit status and (bounded) stderr, or a failure. */
export function runOn(client: Client, command: string, timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(timeoutMs / 1000)}s`)), timeoutMs);
    client.exec(command, (error, channel) => {
      if (error) {
        clearTimeout(timer);
        return reject(error);
      }
      let stderr = '';
      channel.stderr.on('data', (chunk: Buffer) => { if (stderr.length < 1024) stderr += chunk.toString('utf8'); });
      channel.on('data', () => {});
      channel.on('exit', (code: number | null) => {
        clearTimeout(timer);
        resolve({ code, stderr: stderr.trim().slice(0, 1024) });
      });
      channel.on('close', () => {
        clearTimeout(timer);
        resolve({ code: null, stderr: stderr.trim().slice(0, 1024) });
      });
    });
  });
}
