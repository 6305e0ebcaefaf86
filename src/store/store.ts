/**
 * The store behind every part of jumpgate: one interface per kind of record, implemented
 * over SQLite (sqlite/) and PostgreSQL (postgres/) without any caller knowing which. Every
 * method is async, even where SQLite answers at once, and every check-then-act is one
 * atomic step of the store (a conditional statement, or a transaction holding the lock it
 * needs), never a read followed by a write in the caller: several processes and several
 * nodes write to one store at once. The contract suite in contract/ holds each
 * implementation to that.
 */
import type { User, Target, Role, Resource, ResourceKind } from '../domain/resources.js';
import type { AuditEvent, AuditDraft } from '../audit/events.js';
import type { StoredCredential } from '../domain/credential.js';
import type { SessionRecord, SessionEnd } from '../domain/session.js';
import type { AccessRequestRecord, RequestStatus } from '../requests/access-request.js';

export interface ResourceStore<T extends { name: string }> {
  get(name: string): Promise<T | null>;
  list(): Promise<T[]>;
}

export type UserStore = ResourceStore<User>;
export type TargetStore = ResourceStore<Target>;
export type RoleStore = ResourceStore<Role>;
export type CredentialStore = ResourceStore<StoredCredential>;

/** One change of `apply` or `delete`; a batch is written all-or-nothing. */
export type ResourceChange =
  | { op: 'put'; resource: Resource | StoredCredential }
  | { op: 'delete'; kind: ResourceKind; name: string };

/** Audit events committed in the same transaction as the change they record. */
export interface ChangeAudit {
  drafts: readonly AuditDraft[];
  /** Seals a draft on the chain head (pure: no I/O). */
  seal: (draft: AuditDraft, prevHash: string) => AuditEvent;
}

export interface ResourceWriter {
  /**
   * Writes the whole batch in one transaction, and the audit events with it, so neither a
   * change without its event nor an event without its change can be committed.
   */
  applyChanges(changes: readonly ResourceChange[], audit?: ChangeAudit): Promise<StoredAuditEvent[]>;
}

export interface AuditStore {
  /**
   * Seals the draft on the chain head (`seal` gets the head's hash) and commits it, atomically
   * across processes, so every event has one place in one chain. Nothing else happens inside
   * the transaction: the audit file and the sinks are written from the committed event.
   */
  append(draft: AuditDraft, seal: (draft: AuditDraft, prevHash: string) => AuditEvent): Promise<StoredAuditEvent>;
  list(filter: AuditFilter): Promise<StoredAuditEvent[]>;
  /** Rows exactly as stored, in chain order, for `audit verify`. */
  rows(afterSeq: number, limit: number): Promise<AuditRow[]>;
  head(): Promise<string>;
}

/** An event and its position in the store's chain order. */
export type StoredAuditEvent = AuditEvent & { seq: number };

/** A stored row: the hash column beside the body text it must match. */
export interface AuditRow { seq: number; id: string; node: string | null; hash: string; body: string }

export interface AuditFilter {
  since?: string;
  user?: string;
  type?: string;
  /** Only the events written by this node. */
  node?: string;
  afterSeq?: number;
  limit?: number;
}

/**
 * A session's `session.start` or `session.end`, sealed and committed in the transaction that
 * writes the session's row: neither a row change without its event nor an event without its
 * row change can be committed, and both cost one commit.
 */
export interface SessionAudit {
  draft: AuditDraft;
  seal: ChangeAudit['seal'];
}

export interface SessionStore {
  /**
   * Registers a live session only while its user has fewer than `maxLivePerUser` live
   * sessions (every kind, every node), as one atomic step with its `session.start`:
   * concurrent opens can never pass the limit together. Null when the user is at the limit
   * (nothing written). `workerPid`: the worker process of this node that holds it
   * (`ssh.workers` > 1).
   */
  start(session: SessionRecord, limit: { maxLivePerUser: number }, audit: SessionAudit, workerPid?: number): Promise<StoredAuditEvent | null>;
  /** Ends a live session with its `session.end`; null when it was ended already (nothing written). */
  end(id: string, end: SessionEnd, audit: SessionAudit): Promise<StoredAuditEvent | null>;
  get(id: string): Promise<SessionRecord | null>;
  list(options: { includeEnded: boolean }): Promise<SessionRecord[]>;
  /** Asks the node holding a live session to end it; false when no such live session. */
  requestKill(id: string): Promise<boolean>;
  /** Live sessions of a node that someone asked to end. */
  killRequests(node: string): Promise<string[]>;
  /**
   * Ends every live session of a node (one that crashed, or was declared dead) in one
   * statement; returns the sessions this call ended, so each gets its one `session.end`.
   * With `workerPid`, only the live sessions that worker process of the node held.
   */
  endOrphans(node: string, end: SessionEnd, workerPid?: number): Promise<SessionRecord[]>;
}

/** A gateway node sharing the store, as its heartbeats left it. */
export interface NodeRecord {
  name: string;
  /** Where it listens for SSH (`ssh.publicAddress`, or its first listener). */
  address: string;
  version: string;
  startedAt: string;
  /** The node's own clock at its last heartbeat. */
  heartbeatAt: string;
  /** How many heartbeats it gave since it started: others watch this move. */
  beats: number;
  downAt: string | null;
  /** `shutdown` (it stopped cleanly) or `lost` (others declared it dead). */
  downReason: string | null;
}

export interface NodeStore {
  /** Registers the node as up, starting a new life when it was down or ran before. */
  up(node: Pick<NodeRecord, 'name' | 'address' | 'version' | 'startedAt'>): Promise<void>;
  /** One heartbeat; false when the node is down in the store (declared dead meanwhile). */
  beat(name: string, at: string): Promise<boolean>;
  list(): Promise<NodeRecord[]>;
  /**
   * Declares a node down, only if it is still up and its heartbeat count is still `beats`
   * (atomic): true for the one caller, of any node, that did it.
   */
  markDown(name: string, beats: number | null, at: string, reason: 'shutdown' | 'lost'): Promise<boolean>;
}

/** Recordings as they are made, in chunks, so any node can replay a session of another. */
export interface RecordingStore {
  append(sessionId: string, seq: number, data: Buffer): Promise<void>;
  /** Every chunk of the session's recording in order, or null when the store has none. */
  read(sessionId: string): Promise<Buffer | null>;
  /** Which of these sessions have a recording in the store. */
  recorded(sessionIds: readonly string[]): Promise<Set<string>>;
}

/** Host keys of hops and targets the gateway itself dials, learnt on first use. */
export interface KnownHostKey { name: string; fingerprint: string; keyType: string; firstSeen: string; updatedAt: string }

export interface HostKeyStore {
  get(name: string): Promise<KnownHostKey | null>;
  /**
   * Trust on first use as one atomic step: records `key` when no key is known for its name,
   * otherwise leaves the known key alone. Returns the key on record afterwards and whether
   * this call recorded it, so concurrent first connections (of any process or node) all
   * check against one key.
   */
  learn(key: KnownHostKey): Promise<{ known: KnownHostKey; learnt: boolean }>;
  /** Records a key, replacing a known one (`target trust` puts back the key it replaced). */
  put(key: KnownHostKey): Promise<void>;
  delete(name: string): Promise<void>;
  list(): Promise<KnownHostKey[]>;
}

/** A user's password and second factor; secrets only as hashes or sealed. */
export interface UserFactors {
  user: string;
  passwordHash: string | null;
  totpSealed: string | null;
  /** The last TOTP time step accepted: a code is never accepted twice. */
  totpLastStep: number;
  /** argon2id hashes (PHC strings) of the recovery codes not used yet. */
  recoveryHashes: string[];
}

export interface FactorStore {
  get(user: string): Promise<UserFactors | null>;
  setPassword(user: string, passwordHash: string | null): Promise<void>;
  setTotp(user: string, totpSealed: string | null, recoveryHashes: string[]): Promise<void>;
  /** Accepts a TOTP step only if it is newer than the last one accepted (atomic). */
  claimTotpStep(user: string, step: number): Promise<boolean>;
  /**
   * Removes one of the user's recovery hashes if it is still there (atomic): true for the
   * one caller that removed it, so a code is used once even when two logins race.
   */
  claimRecoveryCode(user: string, storedHash: string): Promise<boolean>;
}

/** Where a value sealed under the vault key lives. */
export type SealedSecretOwner = { kind: 'credential'; name: string } | { kind: 'totp'; user: string } | { kind: 'gatewayKey'; name: string };

export interface SealedSecret { owner: SealedSecretOwner; sealed: string }

/** Every value sealed under the vault key, whatever record holds it (for `vault rotate`). */
export interface SealedSecretStore {
  list(): Promise<SealedSecret[]>;
  /**
   * Writes every `next` in one transaction, each only where the stored value is still
   * `sealed`; false, and nothing written, when any of them changed meanwhile.
   */
  replace(changes: ReadonlyArray<SealedSecret & { next: string }>): Promise<boolean>;
}

/** A private key the gateway itself holds (its target CA), sealed under the vault key. */
export interface GatewayKey { name: string; sealed: string; publicKey: string; createdAt: string }

export interface GatewayKeyStore {
  get(name: string): Promise<GatewayKey | null>;
  /**
   * Records `key` unless a key of that name exists, as one atomic step, and returns the key
   * on record: processes and nodes creating the key at once all end up using one.
   */
  create(key: GatewayKey): Promise<GatewayKey>;
}

/** Who runs a job that must run on one node at a time (scheduled credential rotation). */
export interface LeaseStore {
  /**
   * Takes the lease `name` for `holder` until `now + ttlMs` when it is free, expired, or
   * already `holder`'s (then it is renewed), as one atomic step; false when another holds it.
   */
  acquire(name: string, holder: string, now: Date, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `holder` still holds it. */
  release(name: string, holder: string): Promise<void>;
}

export interface Ban { address: string; until: string; reason: string; createdAt: string }

export interface BanStore {
  /** The ban in force for an address (or `user:NAME`), if any. */
  active(address: string, now: Date): Promise<Ban | null>;
  list(now: Date): Promise<Ban[]>;
  add(ban: Ban): Promise<void>;
  remove(address: string): Promise<boolean>;
  /**
   * Counts one authentication failure of `key` (an address or `user:NAME`) at `at`, for every
   * node alike, and forgets failures at or before `windowStart`. When the key's failures since then
   * reach `threshold`, they are forgotten and this call alone (atomic) returns true: its
   * caller bans the key.
   */
  recordFailure(key: string, at: string, windowStart: string, threshold: number): Promise<boolean>;
}

/** `trusted-ca`: CA keys whose user certificates are accepted; `revoked`: keys refused whatever signed them. */
export type UserKeyListName = 'trusted-ca' | 'revoked';

export interface UserKeyEntry {
  list: UserKeyListName;
  /** Base64 of the key blob compared at login (for a revoked certificate, the key it certifies). */
  key: string;
  fingerprint: string;
  /** The line as given (`type base64 [comment]`). */
  line: string;
  addedAt: string;
  addedBy: string;
}

/** The trusted user CA keys and revoked keys of `jumpgate ca`, shared by every node. */
export interface UserKeyListStore {
  /** Adds the entry unless its key is on that list already (atomic); true when this call added it. */
  add(entry: UserKeyEntry): Promise<boolean>;
  list(): Promise<UserKeyEntry[]>;
}

/** A gateway access token as the store keeps it: the hash of its id, never the token. */
export interface RdpTokenRecord { idHash: string; user: string; target: string; expiresAt: string; createdAt: string }

export type RdpTokenClaim =
  | { claimed: true; token: RdpTokenRecord }
  | { claimed: false; reason: 'unknown' | 'used' | 'expired' };

/** Gateway access tokens (SPEC §11): each is used once, whichever node it reaches. */
export interface RdpTokenStore {
  /** Records a token just issued, and forgets tokens expired before `now`. */
  add(token: RdpTokenRecord, now: Date): Promise<void>;
  /** Marks the token used, as one atomic step: of concurrent claims exactly one succeeds. */
  claim(idHash: string, now: Date): Promise<RdpTokenClaim>;
}

/** An API token as stored: never the token itself, only its SHA-256 (hex). */
export interface ApiToken {
  name: string;
  tokenHash: string;
  admin: 'read' | 'write';
  createdAt: string;
  /** Who created it (`cli:root`, or a console user). */
  createdBy: string;
  expiresAt: string | null;
}

export interface TokenStore {
  /** Adds a token; false (nothing written) when a token of that name exists. */
  create(token: ApiToken): Promise<boolean>;
  /** The token with this hash, expired or not (the caller judges expiry). */
  byHash(tokenHash: string): Promise<ApiToken | null>;
  list(): Promise<ApiToken[]>;
  /** False when no token had that name. */
  revoke(name: string): Promise<boolean>;
}

/**
 * A browser approval (SPEC §12): `ssh-login` lets one SSH connection in, `certificate` lets
 * one `jumpgate login` receive a certificate. Only hashes of the code and the poll secret.
 */
export interface ApprovalRecord {
  codeHash: string;
  kind: 'ssh-login' | 'certificate';
  /** The person it is bound to; null: whoever approves it (a `jumpgate login` without --user). */
  user: string | null;
  /** What is approved, shown on the approve page (a connection's address, a client's). */
  subject: string;
  /** The hash of the secret a `jumpgate login` polls with; null for SSH logins. */
  pollHash: string | null;
  createdAt: string;
  expiresAt: string;
  approvedBy: string | null;
  approvedAt: string | null;
  claimedAt: string | null;
}

export type ApprovalRefusal = 'unknown' | 'expired' | 'used' | 'other-person' | 'pending';
export type ApprovalOutcome = { ok: true; approval: ApprovalRecord } | { ok: false; reason: ApprovalRefusal };

export interface ApprovalStore {
  /** Records a new approval, and forgets approvals expired before `now`. */
  add(approval: ApprovalRecord, now: Date): Promise<void>;
  get(codeHash: string): Promise<ApprovalRecord | null>;
  /**
   * Approves as `user`, in one atomic step: only a live, unapproved approval bound to `user`
   * (or to nobody yet, which it then binds to `user`). `other-person` when bound to another.
   */
  approve(codeHash: string, user: string, now: Date): Promise<ApprovalOutcome>;
  /**
   * Uses an approved approval, once (atomic: of concurrent claims one succeeds), found by
   * its code (an SSH login) or its poll secret (`jumpgate login`). `pending` when not approved yet.
   */
  claim(by: { codeHash: string } | { pollHash: string }, now: Date): Promise<ApprovalOutcome>;
}

/** A user certificate serial revoked with `jumpgate certificate revoke` (decimal). */
export interface RevokedSerial { serial: string; revokedAt: string; revokedBy: string; reason: string }

export interface RevokedSerialStore {
  /** False when the serial was revoked already (nothing written). */
  add(entry: RevokedSerial): Promise<boolean>;
  has(serial: string): Promise<boolean>;
  list(): Promise<RevokedSerial[]>;
}

/**
 * How a step of an access request is audited: the event for each request the step changed,
 * sealed and committed in the transaction that changes it, so a step without its event (or
 * an event without its step) can never be committed.
 */
export interface RequestAudit {
  event: (request: AccessRequestRecord) => AuditDraft;
  seal: ChangeAudit['seal'];
}

/** What a step changed, and the events that record it. */
export interface RequestStep<T> { result: T; events: StoredAuditEvent[] }

export type RequestCreation = 'created' | 'duplicate' | 'too-many';

export interface RequestDecision {
  status: 'approved' | 'denied';
  by: string;
  at: string;
  reason: string | null;
  /** The end of the grant (approved only); also when the request lapses from then on. */
  until: string | null;
}

/** Access requests and the grants they become (SPEC §12), shared by every node. */
export interface AccessRequestStore {
  /**
   * Adds a pending request unless its user has a pending request for that role (`duplicate`)
   * or `maxPendingPerUser` pending requests (`too-many`), as one atomic step.
   */
  create(request: AccessRequestRecord, limits: { maxPendingPerUser: number }, audit: RequestAudit): Promise<RequestStep<RequestCreation>>;
  get(id: string): Promise<AccessRequestRecord | null>;
  /** Newest first, at most `limit`. */
  list(filter: { user?: string; status?: readonly RequestStatus[]; limit: number }): Promise<AccessRequestRecord[]>;
  /**
   * Approves or denies a request only while it is pending and not lapsed at `decision.at`
   * (atomic: of concurrent deciders exactly one succeeds); the request as decided, or null.
   */
  decide(id: string, decision: RequestDecision, audit: RequestAudit): Promise<RequestStep<AccessRequestRecord | null>>;
  /** The user's approved requests whose grant has not ended at `now`. */
  liveGrants(user: string, now: Date): Promise<AccessRequestRecord[]>;
  /**
   * Marks expired every pending request lapsed and every grant ended at `now` (at most
   * `limit`), as one atomic step: each is returned to exactly one caller of any node.
   */
  expire(now: Date, limit: number, audit: RequestAudit): Promise<RequestStep<AccessRequestRecord[]>>;
}

export interface Stores extends ResourceWriter {
  users: UserStore;
  targets: TargetStore;
  roles: RoleStore;
  credentials: CredentialStore;
  audit: AuditStore;
  sessions: SessionStore;
  hostKeys: HostKeyStore;
  factors: FactorStore;
  sealedSecrets: SealedSecretStore;
  bans: BanStore;
  nodes: NodeStore;
  recordings: RecordingStore;
  userKeys: UserKeyListStore;
  gatewayKeys: GatewayKeyStore;
  leases: LeaseStore;
  rdpTokens: RdpTokenStore;
  tokens: TokenStore;
  approvals: ApprovalStore;
  revokedSerials: RevokedSerialStore;
  requests: AccessRequestStore;
  close(): Promise<void>;
}
