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
  /** A gateway node started (or came back) on the shared store. */
  | { type: 'node.up'; name: string; address: string; version: string }
  /** `shutdown`: it stopped cleanly; `lost`: its heartbeat stood still for cluster.deadAfter, `sessions_lost` of its sessions were ended. */
  | { type: 'node.down'; name: string; reason: 'shutdown' | 'lost'; last_heartbeat: string; sessions_lost: number }
  /**
   * A key rotation's outcome: `rotated`, `failed` (undone everywhere, the vault unchanged;
   * `target` and `why` say what failed) or `old key left` (rotated, but the old key is still
   * on `target`). Fingerprints only, never a key.
   */
  | {
      type: 'credential.rotate'; credential: string; outcome: 'rotated' | 'failed' | 'old key left'; targets: string[];
      old_key: string; new_key: string; target?: string; why?: string;
    }
  /** A per-login certificate signed by the target CA (`ca`: its fingerprint); `serial` in decimal. */
  | { type: 'certificate.issue'; target: string; login: string; key_id: string; serial: string; valid_after: string; valid_before: string; ca: string }
  /** A person's certificate signed by the user CA (`jumpgate login`), for these principals. */
  | { type: 'certificate.issue'; principals: string[]; key_id: string; serial: string; valid_after: string; valid_before: string; ca: string }
  /** A gateway access token issued (`rdp-file`): for whom (`user`), by whom, to which target, until when. Never the token. */
  | { type: 'rdp.token.issue'; by: string; target: string; expires: string }
  /** A sign-in to the web console or HTTP API (SPEC §9); `reason` says why one failed. */
  | { type: 'console.login'; outcome: 'success' | 'failure'; method: string; reason?: string }
  /** `user` watched (read-only) or joined (`session.join`) the live session `session` of `owner` on `target`. */
  | { type: 'session.watch' | 'session.join'; session: string; owner: string; target: string }
  | { type: 'alert'; name: string; notify: string[]; count: number; window: string; events: AuditEvent[] }
  /**
   * The steps of an access request (SPEC §12); `user` is the person who asked, `request` its id,
   * `approver` who approved or denied it (null while pending, and for a request that lapsed
   * undecided), `reason` the asker's on create and the decider's otherwise, `until` the end of the grant.
   */
  | { type: 'request.create'; request: string; role: string; duration: string; approver: null; reason: string; until: null }
  | { type: 'request.approve' | 'request.deny'; request: string; role: string; duration: string; approver: string; reason: string | null; until: string | null }
  | { type: 'request.expire'; request: string; role: string; duration: string; approver: string | null; reason: string; until: string | null };

export type AuditType = AuditBody['type'];

/** Every event type, for checking what a person types (`audit --type`). */
export const AUDIT_TYPES = [
  'auth.success', 'auth.failure', 'ban.add', 'ban.remove', 'access.denied', 'session.start', 'session.end',
  'command', 'file.transfer', 'upstream.failure', 'hostkey.mismatch', 'config.change', 'alert', 'node.up', 'node.down',
  'credential.rotate', 'certificate.issue', 'rdp.token.issue', 'console.login',
  'session.watch', 'session.join',
  'request.create', 'request.approve', 'request.deny', 'request.expire',
] as const satisfies readonly AuditType[];
// A type added to the union must be added to the list too: until it is, the build fails
// here with "Type 'true' is not assignable to type '<the missing type>'".
type Unlisted = Exclude<AuditType, (typeof AUDIT_TYPES)[number]>;
const everyTypeListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyTypeListed;
export type AuditDraft = Base & AuditBody;

/** A sealed event: the draft plus its place in the hash chain. */
export type AuditEvent = AuditDraft & { ts: string; id: string; node: string; prev: string; hash: string };
