import type { Command } from 'commander';
import { withRuntime, formatOf } from '../context.js';
import { Refused, UsageError } from '../cli-errors.js';
import { decide, describeGrant, type Decision, type RuleRef } from '../../policy/decide.js';
import { ambiguityReason } from '../../policy/decide-route.js';
import { judgeTcpRequest } from '../../policy/tcp-request.js';
import { targetNamed } from '../../inventory/resolve-destination.js';
import { localAddresses } from '../../inventory/special-addresses.js';
import { describeRoute, viaNames, type Route } from '../../inventory/route.js';
import { AccessKindSchema, type AccessKind, type Rule } from '../../domain/resources.js';
import type { Stores } from '../../store/store.js';
import { isCidr } from '../../domain/cidr.js';
import { print, type OutputFormat } from '../output.js';
import { decideRdp } from '../../rdp/rdp-access.js';

function ruleText(rule: Rule): string {
  const parts = [
    rule.targets ? `targets ${rule.targets.join(',')}` : null,
    rule.labels ? `labels ${Object.entries(rule.labels).map(([k, v]) => `${k}=${v}`).join(',')}` : null,
    `access ${rule.access.join(',')}`,
    rule.ports ? `ports ${rule.ports.join(',')}` : null,
    rule.logins ? `logins ${rule.logins.join(',')}` : null,
    rule.sourceCidrs ? `from ${rule.sourceCidrs.join(',')}` : null,
    rule.mfa ? 'mfa' : null,
  ];
  return parts.filter(Boolean).join('; ');
}

interface CheckOptions { access?: string; port?: string; login?: string; from?: string; mfa?: boolean }

/** What `policy check` reports: the decision, and the route(s) the request resolved to. */
type Verdict =
  | { outcome: 'allow' | 'need'; grant: RuleRef; routes: Route[] }
  | { outcome: 'deny'; reason: string; routes: Route[] };

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('inspect access decisions');
  policy.command('check')
    .description('say whether USER may reach TARGET (a name, or a host or address as in ssh -J), how the gateway resolves it, and which rule decided (exit 0 allow, 1 deny)')
    .argument('<user>')
    .argument('<target>')
    .option('--access <kind>', 'jump | session | sftp | forward | rdp (default: what the port is, as the gateway decides: jump for the SSH port)')
    .option('--port <port>', 'port as the client asks it, for jump, forward and rdp (default 22; for rdp 3389, the target\'s rdpPort)')
    .option('--login <login>', 'login, for session and sftp')
    .option('--from <ip>', 'client address (source rules are skipped without it)')
    .option('--mfa', 'assume the session passed a second factor')
    .action(async (userName: string, destination: string, options: CheckOptions, command: Command) => {
      const access = options.access === undefined ? undefined : AccessKindSchema.safeParse(options.access);
      if (access && !access.success) throw new UsageError(`--access must be jump, session, sftp, forward or rdp, not ${options.access}`);
      if (options.port !== undefined && (!/^\d{1,5}$/.test(options.port) || Number(options.port) < 1 || Number(options.port) > 65535)) {
        throw new UsageError(`--port must be a number 1-65535, not ${options.port}`);
      }
      if (options.from !== undefined && !isCidr(options.from)) throw new UsageError(`--from must be an IP address, not ${options.from}`);
      if (access?.data === 'forward' && options.port === undefined) throw new UsageError('--access forward needs --port');
      const format = formatOf(command);
      await withRuntime(command, async ({ stores }) => {
        const kind = access?.data;
        const verdict = kind === 'session' || kind === 'sftp'
          ? await checkSession(stores, userName, destination, kind, options)
          : kind === 'rdp' ? await checkRdp(stores, userName, destination, options) : await checkTcp(stores, userName, destination, kind, options);
        report(format, verdict);
        if (verdict.outcome !== 'allow') process.exitCode = 1;
      });
    });
}

/** A proxied session names its target (`alice+db1`): by name only, as the gateway does. */
async function checkSession(stores: Stores, userName: string, name: string, access: 'session' | 'sftp', options: CheckOptions): Promise<Verdict> {
  const user = await stores.users.get(userName);
  if (!user) throw new Refused(`no user named ${userName}`);
  const target = targetNamed(await stores.targets.list(), name);
  if (!target) throw new Refused(`no target named ${name}`);
  const login = options.login ?? target.login;
  if (user.disabled) return { outcome: 'deny', reason: `${user.name} is disabled`, routes: [] };
  if (!login) return { outcome: 'deny', reason: `${target.name} has no default login; give --login`, routes: [] };
  const roles = (await Promise.all(user.roles.map((n) => stores.roles.get(n)))).filter((r) => r !== null);
  return fromDecision(decide({ user, roles, target, access, login, sourceIp: options.from, mfaVerified: options.mfa === true }), []);
}

/** The RD Gateway's channel decision for a token of USER for TARGET (a name, as in rdp-file), by the gateway's own code. */
async function checkRdp(stores: Stores, userName: string, name: string, options: CheckOptions): Promise<Verdict> {
  if (!(await stores.users.get(userName))) throw new Refused(`no user named ${userName}`);
  const target = targetNamed(await stores.targets.list(), name);
  if (!target) throw new Refused(`no target named ${name}`);
  const port = options.port !== undefined ? Number(options.port) : 3389;
  const decision = await decideRdp(stores, localAddresses(), { user: userName, target: target.name, host: target.name, port, sourceIp: options.from, mfaVerified: options.mfa === true });
  return decision.allowed ? { outcome: 'allow', grant: decision.grant, routes: [] } : { outcome: 'deny', reason: decision.reason, routes: [] };
}

/** ProxyJump and `-L`: resolved and judged by the very code the gateway runs for a `direct-tcpip` request. */
async function checkTcp(stores: Stores, userName: string, host: string, asked: AccessKind | undefined, options: CheckOptions): Promise<Verdict> {
  const port = options.port !== undefined ? Number(options.port) : 22;
  const judgement = await judgeTcpRequest(stores, localAddresses(), { userName, ip: options.from, mfaVerified: options.mfa === true }, host, port);
  switch (judgement.kind) {
    case 'no-user':
      if (judgement.reason === 'user removed') throw new Refused(`no user named ${userName}`);
      return { outcome: 'deny', reason: `${userName} is disabled`, routes: [] };
    case 'unknown': throw new Refused(`no target named ${host}`);
    case 'special': return { outcome: 'deny', reason: judgement.why, routes: [] };
    case 'decided': break;
  }
  const { decision } = judgement;
  if (decision.outcome === 'ambiguous') return { outcome: 'deny', reason: ambiguityReason(host, decision.routes), routes: decision.routes };
  const routes = decision.route ? [decision.route] : [];
  // The gateway takes the access kind from the route; a different --access is answered, not assumed.
  if (asked && decision.route && asked !== decision.route.access) {
    const { target, port: dialed, access } = decision.route;
    const why = access === 'jump' ? `port ${dialed} is ${target.name}'s SSH port` : `port ${dialed} is not ${target.name}'s SSH port (${target.port})`;
    return { outcome: 'deny', reason: `${why}: access ${access}, not ${asked}`, routes };
  }
  if (decision.outcome === 'deny') return { outcome: 'deny', reason: decision.reason, routes };
  return { outcome: decision.outcome, grant: decision.grant, routes };
}

function fromDecision(decision: Decision, routes: Route[]): Verdict {
  return decision.outcome === 'deny' ? { outcome: 'deny', reason: decision.reason, routes } : { outcome: decision.outcome, grant: decision.grant, routes };
}

function report(format: OutputFormat, verdict: Verdict): void {
  const routes = verdict.routes.map((r) => ({
    target: r.target.name, resolvedBy: r.resolvedBy, port: r.port, access: r.access, via: viaNames(r),
  }));
  const result = verdict.outcome === 'deny'
    ? { decision: 'deny', reason: verdict.reason, routes }
    : { decision: verdict.outcome === 'allow' ? 'allow' : 'need-mfa', role: verdict.grant.role, rule: verdict.grant.index + 1, grants: ruleText(verdict.grant.rule), routes };
  const conclusion = verdict.outcome === 'deny'
    ? `deny: ${verdict.reason}`
    : verdict.outcome === 'allow'
      ? `allow: ${describeGrant(verdict.grant)} (${ruleText(verdict.grant.rule)})`
      : `deny until a second factor: ${describeGrant(verdict.grant)} needs TOTP (${ruleText(verdict.grant.rule)})`;
  print(format, result, () => [...verdict.routes.map((r) => `route: ${describeRoute(r)}`), conclusion].join('\n') + '\n');
}
