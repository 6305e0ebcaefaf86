/** What the file-transfer watchers (SFTP, legacy scp) report and how they say they lost track. */

/**
 * One completed file operation, audited as `file.transfer`. Two-path operations put both
 * in `path`: `from -> to` for rename and copy-data, `link -> target` for symlink and
 * hardlink (as `ls -l` shows a link).
 */
export interface FileOperation {
  operation: string;
  path: string;
  bytes: number;
  /** What else matters: the attributes a setstat changes, the name of an unknown extension. */
  detail?: string;
}

/**
 * A watcher's word on the bytes it was shown: fine, or it can no longer account for the
 * transfer (a packet it cannot parse, a reused request id, state past its bounds). A
 * watcher that failed stays failed; the session must then end, since a transfer that goes
 * on unwatched would be a transfer without an audit trail.
 */
export type WatchVerdict = { ok: true } | { ok: false; reason: string };

export const WATCHING: WatchVerdict = { ok: true };
