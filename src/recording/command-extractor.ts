/**
 * Best-effort extraction of the commands typed in an interactive shell, from the bytes
 * the user sends: printable characters build a line, backspace removes one, Ctrl-U and
 * Ctrl-C clear it, Enter ends it. Escape sequences (arrow keys, history, completion) are
 * skipped, so a line edited with them or completed with Tab is logged as typed, not as
 * run. An audit aid, not a security boundary: anyone can hide a command from it.
 */
export class CommandExtractor {
  private line = '';
  private escape: 'none' | 'esc' | 'csi' = 'none';

  /** Feeds input; returns the commands completed by it. */
  feed(data: Buffer): string[] {
    const commands: string[] = [];
    for (const char of data.toString('utf8')) {
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
          const command = this.line.trim();
          this.line = '';
          if (command) commands.push(command);
          break;
        }
        case '\x7f': case '\b': this.line = this.line.slice(0, -1); break;
        case '\x15': case '\x03': this.line = ''; break;
        default:
          if (char >= ' ') this.line += char;
      }
    }
    return commands;
  }
}
