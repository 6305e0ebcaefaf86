/**
 * Server settings (`jumpgate.yaml`, SPEC §5). Every key has a safe default, so an empty
 * file is valid; unknown keys are errors (strict objects) so a typo never passes silently.
 */
import { z } from 'zod';
import { parseDuration, parseSize } from './duration.js';
import { isCidr } from '../domain/cidr.js';

const duration = z.string().refine((s) => parseDuration(s) !== null, 'must be a duration such as 30s, 10m or 12h');
const size = z.string().refine((s) => parseSize(s) !== null, 'must be a size such as 100MB');
const cidr = z.string().refine(isCidr, 'must be an IPv4 or IPv6 address or CIDR block');
const hostPort = z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[^\s:]+|[0-9A-Fa-f:]+):\d{1,5}$/, 'must be HOST:PORT');

export const AUTH_METHODS = ['publickey', 'password', 'keyboard-interactive'] as const;

const algorithmList = z.array(z.string().min(1)).min(1, 'must name at least one algorithm');

const SshSettings = z.strictObject({
  listen: z.array(hostPort).min(1).default(['0.0.0.0:2222']),
  /** HOST:PORT people use to reach the gateway (behind NAT or a load balancer), for ssh-config and printed hints. */
  publicAddress: hostPort.nullable().default(null),
  hostKeys: z.array(z.string().min(1)).min(1).default(['host_keys/ssh_host_ed25519_key', 'host_keys/ssh_host_rsa_key']),
  authMethods: z.array(z.enum(AUTH_METHODS)).min(1).default(['publickey']),
  algorithms: z.strictObject({
    kex: algorithmList.optional(),
    ciphers: algorithmList.optional(),
    macs: algorithmList.optional(),
    hostKeys: algorithmList.optional(),
  }).prefault({}),
  loginGraceTime: duration.default('30s'),
  maxStartups: z.strictObject({
    total: z.number().int().min(1).default(100),
    perSource: z.number().int().min(1).default(10),
  }).prefault({}),
  maxAuthTries: z.number().int().min(1).default(6),
  maxConnections: z.number().int().min(1).default(10000),
  /** Channels (sessions, ProxyJump, forwards) one connection may hold open at once. */
  maxChannelsPerConnection: z.number().int().min(1).default(64),
  keepaliveInterval: duration.default('15s'),
  workers: z.number().int().min(1).default(1),
  trustedUserCAKeys: z.array(z.string().min(1)).default([]),
  revokedKeys: z.string().min(1).nullable().default(null),
  /** A load balancer in front (SPEC §10): PROXY v1/v2 headers are read from these addresses only, and required from them. */
  proxyProtocol: z.strictObject({ trustedProxies: z.array(cidr).default([]) }).prefault({}),
});

const TlsSettings = z.strictObject({
  ca: z.string().nullable().default(null),
  cert: z.string().nullable().default(null),
  key: z.string().nullable().default(null),
});

const SyslogSink = z.strictObject({
  name: z.string().min(1),
  type: z.literal('syslog'),
  transport: z.enum(['udp', 'tcp', 'tls']).default('udp'),
  address: hostPort,
  facility: z.string().default('authpriv'),
  appName: z.string().default('jumpgate'),
  tls: TlsSettings.optional(),
  events: z.boolean().default(true),
});

const WebhookSink = z.strictObject({
  name: z.string().min(1),
  type: z.literal('webhook'),
  url: z.url(),
  secretFile: z.string().min(1).optional(),
  events: z.boolean().default(true),
});

const AlertRule = z.strictObject({
  name: z.string().min(1),
  on: z.string().min(1),
  count: z.number().int().min(1).default(1),
  window: duration.default('1m'),
  notify: z.array(z.string().min(1)).default([]),
  /** Narrows the events that count: by user, by target, or by target labels (e.g. {sensitive: "true"}). */
  match: z.strictObject({
    users: z.array(z.string().min(1)).optional(),
    targets: z.array(z.string().min(1)).optional(),
    labels: z.record(z.string(), z.string()).optional(),
  }).optional(),
});

export const SettingsSchema = z.strictObject({
  ssh: SshSettings.prefault({}),
  http: z.strictObject({
    listen: z.union([hostPort, z.literal('')]).default('127.0.0.1:8022'),
    /** Both set: the console and API are served over HTTPS (required off loopback, SPEC §9). */
    tls: z.strictObject({ cert: z.string().min(1).nullable().default(null), key: z.string().min(1).nullable().default(null) }).prefault({})
      .refine((tls) => (tls.cert === null) === (tls.key === null), 'needs both cert and key, or neither'),
    /** The console's address as people reach it (links in approvals, the OIDC redirect URI); default from `listen`. */
    publicUrl: z.url({ protocol: /^https?$/ }).refine((url) => new URL(url).origin === url.replace(/\/$/, ''), 'must be an origin such as https://gate.example:8443, without a path')
      .nullable().default(null),
  }).prefault({}),
  store: z.string().regex(/^(sqlite:|postgres(ql)?:\/\/)/, 'must be sqlite:FILE or postgres://…').default('sqlite:jumpgate.db'),
  vault: z.strictObject({ keyFile: z.string().min(1).default('vault.key') }).prefault({}),
  allowFrom: z.array(cidr).default([]),
  bans: z.strictObject({
    maxAuthFailures: z.number().int().min(1).default(5),
    findWindow: duration.default('10m'),
    banDuration: duration.default('30m'),
    neverBan: z.array(cidr).default([]),
  }).prefault({}),
  knock: z.strictObject({
    enabled: z.boolean().default(false),
    sequence: z.array(z.number().int().min(1).max(65535)).default([]),
    window: duration.default('10s'),
    openFor: duration.default('30s'),
  }).prefault({}),
  sessions: z.strictObject({
    idleTimeout: duration.default('30m'),
    maxSessionDuration: duration.default('12h'),
    maxSessionsPerUser: z.number().int().min(1).default(10),
  }).prefault({}),
  upstream: z.strictObject({
    connectTimeout: duration.default('10s'),
    idleClose: duration.default('60s'),
  }).prefault({}),
  recordings: z.strictObject({
    dir: z.string().min(1).default('recordings'),
    recordInput: z.boolean().default(false),
  }).prefault({}),
  audit: z.strictObject({
    file: z.string().min(1).default('audit.log'),
    rotateSize: size.default('100MB'),
    spoolMaxSize: size.default('64MB'),
    sinks: z.array(z.discriminatedUnion('type', [SyslogSink, WebhookSink])).default([]),
    alerts: z.array(AlertRule).default([]),
  }).prefault({}).superRefine((audit, ctx) => {
    const names = new Set(audit.sinks.map((sink) => sink.name));
    audit.alerts.forEach((alert, index) => alert.notify.forEach((name, at) => {
      if (!names.has(name)) ctx.addIssue({ code: 'custom', path: ['alerts', index, 'notify', at], message: `names no sink (sinks: ${[...names].join(', ') || 'none'})` });
    }));
  }),
  node: z.string().min(1).optional(),
  cluster: z.strictObject({
    heartbeat: duration.default('5s'),
    deadAfter: duration.default('30s'),
  }).prefault({}),
  /** Certificates jumpgate signs: `targetTTL` for each login to a `type: certificate` target (SPEC §12). */
  certificates: z.strictObject({
    /** Certificates of `jumpgate login` (a role's `certificateTTL` may shorten them). */
    userTTL: duration.default('8h'),
    targetTTL: duration.default('2m'),
  }).prefault({}),
  /** Single sign-on with an OpenID Connect provider (SPEC §12); null: password sign-in only. */
  identity: z.strictObject({
    oidc: z.strictObject({
      issuer: z.url({ protocol: /^https?$/ }),
      clientId: z.string().min(1),
      clientSecretFile: z.string().min(1).nullable().default(null),
      scopes: z.array(z.string().min(1)).default(['openid', 'profile', 'groups']),
      usernameClaim: z.string().min(1).default('preferred_username'),
      groupsClaim: z.string().min(1).default('groups'),
    }).nullable().default(null),
  }).prefault({}),
  /** The RD Gateway (SPEC §11): MS-TSGU over HTTPS; "" disables it. */
  rdp: z.strictObject({
    listen: z.union([hostPort, z.literal('')]).default(''),
    tls: z.strictObject({
      cert: z.string().min(1).default('tls/rdp.crt'),
      key: z.string().min(1).default('tls/rdp.key'),
    }).prefault({}),
    tokenTTL: duration.default('5m'),
    publicAddress: hostPort.nullable().default(null),
  }).prefault({}),
});

export type Settings = z.infer<typeof SettingsSchema>;
