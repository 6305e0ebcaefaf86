export type SessionKind = 'jump' | 'session' | 'sftp' | 'forward' | 'rdp' | 'web';
export type EndReason = 'closed' | 'killed' | 'idle' | 'max_duration' | 'shutdown' | 'error' | 'node_lost';

/** A live or past session as the store keeps it, so any process can list it. */
export interface SessionRecord {
  id: string;
  node: string;
  kind: SessionKind;
  user: string;
  src: string;
  target: string;
  login: string | null;
  destination: string;
  /** The upstream hop connections the session runs through (`core-jump#1a2b > dmz-jump#3c4d`), null when dialed directly. */
  via: string | null;
  startedAt: string;
  endedAt: string | null;
  reason: EndReason | null;
  bytesUp: number;
  bytesDown: number;
}

export interface SessionEnd {
  endedAt: string;
  reason: EndReason;
  bytesUp: number;
  bytesDown: number;
}

/** The file a recorded session is written to in the recordings dir, and its name in `session.end`. */
export function recordingName(sessionId: string): string {
  return `${sessionId}.cast`;
}
