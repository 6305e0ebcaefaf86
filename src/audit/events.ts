/** The audit events of SPEC §6, as one union. */
import type { SessionKind, EndReason } from '../domain/session.js';

interface Base {
  /** The user as they authenticated, or as they claimed to be before authenticating. */
  user: string | null;
  /** The client's `ip:port`; null for events from the command line. */
  src: string | null;
}

export type AuditBody =
  /** `key_id` and `serial` (decimal) when the user logged in with an OpenSSH certificate. */
  | { type: 'auth.success'; method: string; key?: string; key_id?: string; serial?: string }
  | { type: 'auth.failure'; method: string; reason: string }
  | { type: 'ban.add'; address: string; until: string; reason: string }
  | { type: 'ban.remove'; address: string; reason: string }
  | { type: 'access.denied'; access: string; target: string | null; destination: string; login?: string | null; reason: string }
  | { type: 'session.start'; session: string; kind: SessionKind; target: string; login: string | null; destination: string; rule?: string }
  | {
      type: 'session.end'; session: string; kind: SessionKind; target: string; login: string | null; destination: string;
      duration_ms: number; bytes_up: number; bytes_down: number; exit_status: number | null; recording: string | null; reason: EndReason;
      error?: string;
    }
  /** `truncated` when the typed line was longer than the extractor keeps. */
  | { type: 'command'; session: string; command: string; truncated?: boolean }
  /** `detail`: what else matters (the attributes a setstat changes, an unknown extension's name). */
  | { type: 'file.transfer'; session: string; operation: string; path: string; bytes: number; detail?: string }
  | { type: 'upstream.failure'; target: string; hop: string; address: string; why: string }
  | { type: 'hostkey.mismatch'; target: string; hop: string; expected: string; presented: string }
  | { type: 'config.change'; action: 'create' | 'update' | 'delete'; kind: string; name: string }
  /** A sign-in to the web console or HTTP API (SPEC §9); `reason` says why one failed. */
  | { type: 'console.login'; outcome: 'success' | 'failure'; method: string; reason?: string }
  | { type: 'alert'; name: string; notify: string[]; count: number; window: string; events: AuditEvent[] };

export type AuditType = AuditBody['type'];
export type AuditDraft = Base & AuditBody;

/** A sealed event: the draft plus its place in the hash chain. */
export type AuditEvent = AuditDraft & { ts: string; id: string; node: string; prev: string; hash: string };
