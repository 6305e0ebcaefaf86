/**
 * The resources of SPEC §3 as zod schemas: the schemas are the types.
 * Validation messages are phrased to follow the field name ("port must be 1-65535"),
 * because `describeIssue` in `resource-errors.ts` prints `Kind name: field message`.
 */
import { z } from 'zod';
import { isCidr } from './cidr.js';
import { parseDuration } from '../config/duration.js';
import { isOpenSshPublicKey } from './ssh-public-key.js';

export const RESOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const resourceName = z.string().regex(RESOURCE_NAME, 'must start with a letter or digit and hold only letters, digits, ".", "_" or "-" (at most 63)');
const cidr = z.string().refine(isCidr, 'must be an IPv4 or IPv6 address or CIDR block');
const port = z.number().int('must be a whole number').min(1, 'must be 1-65535').max(65535, 'must be 1-65535');
const duration = z.string().refine((s) => parseDuration(s) !== null, 'must be a duration such as 10s, 5m or 12h');
const labels = z.record(z.string(), z.string());
/** A login on a target: a POSIX-ish user name, never with the separators of the connect syntax. */
export const LOGIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,31}$/;
const login = z.string().regex(LOGIN_NAME, 'must be a plain user name');

const publicKey = z.string().refine(isOpenSshPublicKey, 'must be an OpenSSH public key line (type, base64, optional comment)');
export const UserKeySchema = z.union([
  publicKey,
  z.strictObject({ key: publicKey, expires: z.iso.datetime({ offset: true }).or(z.iso.date()).optional() }),
]);

export const UserSchema = z.strictObject({
  kind: z.literal('User'),
  name: resourceName,
  roles: z.array(resourceName).default([]),
  keys: z.array(UserKeySchema).default([]),
  sourceCidrs: z.array(cidr).default([]),
  principals: z.array(z.string().min(1)).optional(),
  disabled: z.boolean().default(false),
  /** `oidc`: created at a first single sign-on (SPEC §12); its roles that list `groups` follow the provider's groups. */
  source: z.enum(['oidc']).optional(),
});

export const TargetSchema = z.strictObject({
  kind: z.literal('Target'),
  name: resourceName,
  host: z.string().min(1, 'must not be empty'),
  port: port.default(22),
  alternateHosts: z.array(z.string().min(1)).default([]),
  via: resourceName.optional(),
  login: login.optional(),
  credential: resourceName.optional(),
  hostKey: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'must be a SHA256 fingerprint such as SHA256:3q2+7w...').optional(),
  labels: labels.default({}),
  connectTimeout: duration.optional(),
  description: z.string().optional(),
  /** The port of the target's RDP service (SPEC §11); a request for its host at 3389 goes here. */
  rdpPort: port.optional(),
});

export const ACCESS_KINDS = ['jump', 'session', 'sftp', 'forward', 'rdp'] as const;
export const AccessKindSchema = z.enum(ACCESS_KINDS);

export const RuleSchema = z.strictObject({
  targets: z.array(z.string().min(1)).optional(),
  labels: labels.optional(),
  access: z.array(AccessKindSchema).min(1, 'must name at least one of jump, session, sftp, forward, rdp'),
  logins: z.array(login).optional(),
  ports: z.array(port).optional(),
  sourceCidrs: z.array(cidr).optional(),
  mfa: z.boolean().default(false),
  record: z.boolean().default(false),
  agentForwarding: z.boolean().default(false),
  remoteForward: z.boolean().default(false),
  /** Others who may open this target may join the proxied session from the web console (SPEC §9). */
  join: z.boolean().optional(),
  /** The user is told, in their terminal, when someone watches the session live. */
  notifyWatch: z.boolean().optional(),
  /** The session waits until an `admin: read` person watches it (four eyes). */
  requireWatcher: z.boolean().optional(),
}).refine((rule) => rule.targets !== undefined || rule.labels !== undefined, {
  message: 'needs targets or labels (use targets: ["*"] for every target)',
});

export const RoleSchema = z.strictObject({
  kind: z.literal('Role'),
  name: resourceName,
  description: z.string().optional(),
  allow: z.array(RuleSchema).default([]),
  /** What holders may do in the web console and HTTP API (SPEC §9); absent is none. */
  admin: z.enum(['none', 'read', 'write']).optional(),
  /** SSO groups whose members hold this role (SPEC §12), set again at each of their sign-ins. */
  groups: z.array(z.string().min(1)).optional(),
  /** Certificates of `jumpgate login` for holders last at most this long (shorter than `certificates.userTTL`). */
  certificateTTL: duration.optional(),
  /** Granted on an approved access request only, for at most `maxDuration` (SPEC §12); holders of `approvers` decide. */
  requestable: z.strictObject({
    maxDuration: duration.refine((s) => (parseDuration(s) ?? 0) >= 1000, 'must be at least 1s'),
    approvers: z.array(resourceName).min(1, 'must name at least one role'),
  }).nullable().optional(),
});

/**
 * `certificate` and `agent` hold no secret (SPEC §12): the gateway signs a fresh key per
 * login with its target CA, or logs in with the connecting user's forwarded agent.
 */
export const CREDENTIAL_TYPES = ['password', 'privateKey', 'certificate', 'agent'] as const;
export type CredentialType = typeof CREDENTIAL_TYPES[number];
/** The types whose secret the vault holds. */
export type SecretCredentialType = 'password' | 'privateKey';

/** The fields alone, for inputs that derive from them (the HTTP API's credential body). */
export const CredentialFields = z.strictObject({
  kind: z.literal('Credential'),
  name: resourceName,
  type: z.enum(CREDENTIAL_TYPES),
  secretFile: z.string().min(1).optional(),
  passphraseFile: z.string().min(1).optional(),
  /** A `privateKey` credential replaced by a new key pair this often (`credential rotate`). */
  rotateEvery: duration.optional(),
});

export const CredentialSchema = CredentialFields.superRefine((credential, ctx) => {
  const secretless = credential.type === 'certificate' || credential.type === 'agent';
  for (const field of ['secretFile', 'passphraseFile'] as const) {
    if (secretless && credential[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `must be absent: a ${credential.type} credential holds no secret` });
  }
  if (credential.rotateEvery !== undefined && credential.type !== 'privateKey') {
    ctx.addIssue({ code: 'custom', path: ['rotateEvery'], message: 'applies to privateKey credentials only' });
  }
});

export const ResourceSchema = z.discriminatedUnion('kind', [UserSchema, TargetSchema, RoleSchema, CredentialSchema]);

export type User = z.infer<typeof UserSchema>;
export type UserKey = z.infer<typeof UserKeySchema>;
export type Target = z.infer<typeof TargetSchema>;
export type Rule = z.infer<typeof RuleSchema>;
export type Role = z.infer<typeof RoleSchema>;
export type AccessKind = z.infer<typeof AccessKindSchema>;
export type AdminLevel = NonNullable<Role['admin']>;
/** What apply reads from YAML; the stored credential carries the encrypted secret instead of a file name. */
export type CredentialSpec = z.infer<typeof CredentialSchema>;
export type Resource = z.infer<typeof ResourceSchema>;
export type ResourceKind = Resource['kind'];

/** The certificate principals that log in as this user (SPEC §3: default is the user's name). */
export function principalsOf(user: User): string[] {
  return user.principals ?? [user.name];
}

export function keyLine(key: UserKey): string {
  return typeof key === 'string' ? key : key.key;
}
