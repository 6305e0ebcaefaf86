/**
 * What a proxied session's relay shows the audit: the commands typed in a shell, every
 * SFTP operation, every file of a legacy scp transfer (in the direction that carries the
 * files: client to target for `scp -t`, back for `scp -f`). The file watchers fail closed:
 * once one cannot account for the bytes, `blind` is called and the session must end.
 */
import type { RelayTaps } from './session-relay.js';
import type { ScpCommand } from './scp-command.js';
import { CommandExtractor, type TypedCommand } from '../recording/command-extractor.js';
import { SftpAudit } from '../recording/sftp-audit.js';
import { ScpAudit } from '../recording/scp-audit.js';
import type { FileOperation, WatchVerdict } from '../recording/file-operation.js';

export interface TapSinks {
  command(typed: TypedCommand): void;
  fileTransfer(operation: FileOperation): void;
  /** A watcher lost track of a transfer (its reason); called once. */
  blind(reason: string): void;
}

export interface SessionTaps {
  taps: Pick<RelayTaps, 'input' | 'output'>;
  /** The session ended: report what was still under way. */
  end(): void;
  /** Why a watcher lost track, or null. */
  failure(): string | null;
}

export function sessionTaps(kind: 'shell' | 'exec' | 'sftp', scp: ScpCommand | null, sinks: TapSinks): SessionTaps {
  let failure: string | null = null;
  const heed = (verdict: WatchVerdict): void => {
    if (verdict.ok || failure !== null) return;
    failure = verdict.reason;
    sinks.blind(verdict.reason);
  };
  const watching = (taps: SessionTaps['taps'], end: () => void): SessionTaps => ({ taps, end, failure: () => failure });

  if (kind === 'shell') {
    const extractor = new CommandExtractor();
    return watching({ input: (data) => extractor.feed(data).forEach((typed) => sinks.command(typed)) }, () => {});
  }
  if (kind === 'sftp') {
    const sftp = new SftpAudit((operation) => sinks.fileTransfer(operation));
    return watching({ input: (data) => heed(sftp.request(data)), output: (data) => heed(sftp.response(data)) }, () => sftp.end());
  }
  if (scp) {
    const files = new ScpAudit(scp, (operation) => sinks.fileTransfer(operation));
    const watch = (data: Buffer) => heed(files.files(data));
    return watching(scp.direction === 'upload' ? { input: watch } : { output: watch }, () => files.end());
  }
  return watching({}, () => {});
}
