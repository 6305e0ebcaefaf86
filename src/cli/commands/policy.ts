import type { Command } from 'commander';
import { withRuntime, formatOf } from '../context.js';
import { Refused, UsageError } from '../cli-errors.js';
import { describeGrant } from '../../policy/decide.js';
import { checkPolicy, ruleText, verdictSummary, type Verdict } from '../../policy/policy-check.js';
import { describeRoute } from '../../inventory/route.js';
import { AccessKindSchema } from '../../domain/resources.js';
import { isCidr } from '../../domain/cidr.js';
import { print, type OutputFormat } from '../output.js';

interface CheckOptions { access?: string; port?: string; login?: string; from?: string; mfa?: boolean }

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
        const answer = await checkPolicy(stores, {
          user: userName, destination, access: access?.data, port: options.port !== undefined ? Number(options.port) : undefined,
          login: options.login, from: options.from, mfa: options.mfa === true,
        });
        if (!answer.found) throw new Refused(answer.message);
        report(format, answer.verdict);
        if (answer.verdict.outcome !== 'allow') process.exitCode = 1;
      });
    });
}

function report(format: OutputFormat, verdict: Verdict): void {
  const result = verdictSummary(verdict);
  const conclusion = verdict.outcome === 'deny'
    ? `deny: ${verdict.reason}`
    : verdict.outcome === 'allow'
      ? `allow: ${describeGrant(verdict.grant)} (${ruleText(verdict.grant.rule)})`
      : `deny until a second factor: ${describeGrant(verdict.grant)} needs TOTP (${ruleText(verdict.grant.rule)})`;
  const granted = verdict.outcome !== 'deny' && verdict.request
    ? [`role ${verdict.grant.role} is granted by access request ${verdict.request.id} until ${verdict.request.until}`] : [];
  print(format, result, () => [...verdict.routes.map((r) => `route: ${describeRoute(r)}`), conclusion, ...granted].join('\n') + '\n');
}
