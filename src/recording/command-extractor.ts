/**
 * Best-effort extraction of the commands typed in an interactive shell, from the bytes
 * the user sends: printable characters build a line, backspace removes one, Ctrl-U and
 * Ctrl-C clear it, Enter ends it. Escape sequences (arrow keys, history, completion) are
 * skipped, so a line edited with them or completed with Tab is logged as typed, not as
 * run. An audit aid, not a security boundary: anyone can hide a command from it.
 *
 * The line is bounded: past COMMAND_LINE_LIMIT characters the rest of the line is only
 * counted (so backspace still erases what was typed last), and the command is logged
 * with its first COMMAND_LINE_LIMIT characters and marked truncated. Typing megabytes
 * without Enter holds no more than that.
 */

/** Characters of one typed line kept for the audit log. */
export const COMMAND_LINE_LIMIT = 4096;

export interface TypedCommand {
  command: string;
  /** The line was longer than COMMAND_LINE_LIMIT; `command` is its beginning. */
  truncated: boolean;
}

export class CommandExtractor {
  /** The line's characters (code points), at most COMMAND_LINE_LIMIT. */
  private readonly line: string[] = [];
  /** Characters typed past the limit and not erased since. */
  private overflow = 0;
  private escape: 'none' | 'esc' | 'csi' = 'none';
  /** Keeps a character whose UTF-8 bytes arrive in two packets whole. */
  private readonly decoder = new TextDecoder('utf-8');

  /** Feeds input; returns the commands completed by it. */
  feed(data: Buffer): TypedCommand[] {
    const commands: TypedCommand[] = [];
    for (const char of this.decoder.decode(data, { stream: true })) {
      if (this.escape === 'esc') {
        this.escape = char === '[' || char === 'O' ? 'csi' : 'none';
        continue;
      }
      if (this.escape === 'csi') {
        if (char >= '@' && char <= '~') this.escape = 'none';
        continue;
      }
      switch (char) {
        case '\x1b': this.escape = 'esc'; break;
        case '\r': case '\n': {
          const typed = this.take();
          if (typed) commands.push(typed);
          break;
        }
        case '\x7f': case '\b':
          if (this.overflow > 0) this.overflow--;
          else this.line.pop();
          break;
        case '\x15': case '\x03': this.clear(); break;
        default:
          if (char < ' ') break;
          if (this.line.length < COMMAND_LINE_LIMIT) this.line.push(char);
          else this.overflow++;
      }
    }
    return commands;
  }

  /** Characters held for the line being typed (at most COMMAND_LINE_LIMIT). */
  pendingLength(): number {
    return this.line.length;
  }

  private take(): TypedCommand | null {
    const truncated = this.overflow > 0;
    const command = this.line.join('').trim();
    this.clear();
    return command || truncated ? { command, truncated } : null;
  }

  private clear(): void {
    this.line.length = 0;
    this.overflow = 0;
  }
}
