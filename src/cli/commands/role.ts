/** `role add` and `role set`: a Role from the command line, one `--allow` per rule (SPEC §4). */
import type { Command } from 'commander';
import { addOne, setOne, collect } from './quick-add.js';
import { UsageError } from '../cli-errors.js';
import { parseAllowText, RULE_FIELDS } from '../allow-rule.js';
import { ACCESS_KINDS } from '../../domain/resources.js';

/** What each access kind lets a person do, in the words of the commands they run. */
const ACCESS_MEANING: Record<string, string> = {
  jump: 'ssh -J (ProxyJump), end to end encrypted',
  session: 'ssh alice+db1@gate (proxied session) and the target menu',
  sftp: 'sftp and scp through a proxied session',
  forward: 'ssh -L to the ports granted',
  rdp: 'RDP through the RD Gateway (jumpgate rdp-file)',
};

const ADMIN_LEVELS = ['none', 'read', 'write'] as const;

/** `--admin read|write`: what holders may do in the web console and HTTP API. */
function adminOf(level: string | undefined): { admin?: typeof ADMIN_LEVELS[number] } {
  if (level === undefined) return {};
  const known = ADMIN_LEVELS.find((l) => l === level);
  if (!known) throw new UsageError(`--admin must be none, read or write, not ${level}`);
  return { admin: known };
}

const ALLOW_HELP = `
--allow takes one rule: fields separated by ",", list items by "+".
  targets=db1+db2      target names, or * for every target
  labels=env:prod      or targets by label (all must match)
  access=${ACCESS_KINDS.join('+')}
${ACCESS_KINDS.map((kind) => `                       ${kind}: ${ACCESS_MEANING[kind] ?? 'see docs/reference.md'}`).join('\n')}
  logins=root+deploy   logins for proxied sessions (default: the target's login)
  ports=22+5432        ports for jump and forward (default: the target's SSH port, jump only)
  sourceCidrs=10.0.0.0/8
  mfa  record  agentForwarding  remoteForward  join  notifyWatch  requireWatcher   (booleans; mfa=false works too)
Fields: ${[...RULE_FIELDS.keys()].join(', ')}.
Example: jumpgate role add admins --allow 'targets=*,access=jump+session+sftp'
`;

function rulesOf(allow: readonly string[] | undefined): Array<Record<string, unknown>> {
  if (!allow || allow.length === 0) throw new UsageError('--allow is required: at least one rule, such as --allow \'targets=*,access=jump+session+sftp\'');
  return allow.map(parseAllowText);
}

export function registerRole(program: Command): void {
  const role = program.command('role').description('quick role management');
  role.command('add')
    .description('add a role: what its holders may reach, one --allow per rule')
    .argument('<name>')
    .option('--allow <rule>', 'one rule (repeatable), such as targets=db1,access=jump+session,ports=22,logins=root', collect)
    .option('--description <text>', 'what the role is for')
    .option('--admin <level>', 'read | write: what holders may do in the web console and HTTP API (default none)')
    .addHelpText('after', ALLOW_HELP)
    .action(async (name: string, options: { allow?: string[]; description?: string; admin?: string }, command: Command) => {
      const admin = adminOf(options.admin);
      await addOne(command, { kind: 'Role', name, allow: rulesOf(options.allow), ...(options.description ? { description: options.description } : {}), ...admin });
    });

  role.command('set')
    .description('replace the rules of a role with the --allow rules given')
    .argument('<name>')
    .option('--allow <rule>', 'one rule (repeatable); together they replace every rule of the role', collect)
    .option('--description <text>', 'what the role is for')
    .option('--admin <level>', 'none | read | write: what holders may do in the web console and HTTP API')
    .addHelpText('after', ALLOW_HELP)
    .action(async (name: string, options: { allow?: string[]; description?: string; admin?: string }, command: Command) => {
      if (!options.allow && options.description === undefined && options.admin === undefined) throw new UsageError('nothing to change: give --allow rules, --description or --admin');
      const allow = options.allow ? rulesOf(options.allow) : undefined;
      const admin = adminOf(options.admin);
      await setOne(command, 'role', name, (current) => ({
        ...current,
        ...(allow ? { allow } : {}),
        ...(options.description !== undefined ? { description: options.description } : {}),
        ...admin,
      }));
    });
}
