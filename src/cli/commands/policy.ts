import type { Command } from 'commander';
import { withRuntime, formatOf } from '../context.js';
import { Refused, UsageError } from '../cli-errors.js';
import { decide, describeGrant } from '../../policy/decide.js';
import { AccessKindSchema, type Rule } from '../../domain/resources.js';
import { isCidr } from '../../domain/cidr.js';
import { print } from '../output.js';

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

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('inspect access decisions');
  policy.command('check')
    .description('say whether USER may reach TARGET, and which rule decided (exit 0 allow, 1 deny)')
    .argument('<user>')
    .argument('<target>')
    .option('--access <kind>', 'jump | session | sftp | forward', 'jump')
    .option('--port <port>', 'port, for jump and forward (default: 22 for jump)')
    .option('--login <login>', 'login, for session and sftp')
    .option('--from <ip>', 'client address (source rules are skipped without it)')
    .option('--mfa', 'assume the session passed a second factor')
    .action(async (userName: string, targetName: string, options: { access: string; port?: string; login?: string; from?: string; mfa?: boolean }, command: Command) => {
      const access = AccessKindSchema.safeParse(options.access);
      if (!access.success) throw new UsageError(`--access must be jump, session, sftp or forward, not ${options.access}`);
      if (options.port !== undefined && !/^\d+$/.test(options.port)) throw new UsageError(`--port must be a number, not ${options.port}`);
      if (options.from !== undefined && !isCidr(options.from)) throw new UsageError(`--from must be an IP address, not ${options.from}`);
      const port = options.port !== undefined ? Number(options.port) : access.data === 'jump' ? 22 : undefined;
      const format = formatOf(command);
      await withRuntime(command, async ({ stores }) => {
        const user = await stores.users.get(userName);
        if (!user) throw new Refused(`no user named ${userName}`);
        const target = await stores.targets.get(targetName);
        if (!target) throw new Refused(`no target named ${targetName}`);
        const roles = (await Promise.all(user.roles.map((name) => stores.roles.get(name)))).filter((r) => r !== null);
        const decision = user.disabled
          ? { outcome: 'deny' as const, reason: `${user.name} is disabled` }
          : decide({ user, roles, target, access: access.data, port, login: options.login ?? target.login, sourceIp: options.from, mfaVerified: options.mfa === true });
        const result = decision.outcome === 'deny'
          ? { decision: 'deny', reason: decision.reason }
          : { decision: decision.outcome === 'allow' ? 'allow' : 'need-mfa', role: decision.grant.role, rule: decision.grant.index + 1, grants: ruleText(decision.grant.rule) };
        print(format, result, () => decision.outcome === 'allow'
          ? `allow: ${describeGrant(decision.grant)} (${ruleText(decision.grant.rule)})\n`
          : decision.outcome === 'need'
            ? `deny until a second factor: ${describeGrant(decision.grant)} needs TOTP (${ruleText(decision.grant.rule)})\n`
            : `deny: ${decision.reason}\n`);
        if (decision.outcome !== 'allow') process.exitCode = 1;
      });
    });
}
