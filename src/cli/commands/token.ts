/** `token create|list|revoke`: API tokens for scripts (SPEC §4, §9). */
import type { Command } from 'commander';
import { withRuntime, formatOf, cliActor } from '../context.js';
import { Refused, UsageError } from '../cli-errors.js';
import { print, table } from '../output.js';
import { parseDuration } from '../../config/duration.js';
import { RESOURCE_NAME } from '../../domain/resources.js';
import { generateApiToken, hashApiToken } from '../../auth/api-tokens.js';

export function registerToken(program: Command): void {
  const token = program.command('token').description('API tokens for scripts (Authorization: Bearer …)');
  token.command('create')
    .description('create a token; it is printed once and stored only as a hash')
    .argument('<name>')
    .requiredOption('--admin <level>', 'read | write: what the token may do, as a role\'s admin level')
    .option('--expires <duration>', 'valid this long (e.g. 90d); default: until revoked')
    .action(async (name: string, options: { admin: string; expires?: string }, command: Command) => {
      if (!RESOURCE_NAME.test(name)) throw new UsageError(`token name ${name} must start with a letter or digit and hold only letters, digits, ".", "_" or "-"`);
      if (options.admin !== 'read' && options.admin !== 'write') throw new UsageError(`--admin must be read or write, not ${options.admin}`);
      const lifetime = options.expires === undefined ? null : parseDuration(options.expires);
      if (options.expires !== undefined && (lifetime === null || lifetime <= 0)) throw new UsageError(`--expires must be a duration such as 90d or 12h, not ${options.expires}`);
      const format = formatOf(command);
      await withRuntime(command, async ({ stores, audit }) => {
        const secret = generateApiToken();
        const now = Date.now();
        const record = {
          name, tokenHash: hashApiToken(secret), admin: options.admin as 'read' | 'write', createdAt: new Date(now).toISOString(),
          createdBy: cliActor(), expiresAt: lifetime === null ? null : new Date(now + lifetime).toISOString(),
        };
        if ((await stores.tokens.list()).some((t) => t.name === name)) throw new Refused(`a token named ${name} exists; revoke it first`);
        // The event first: a token exists only once the trail holds who made it.
        await audit.record({ type: 'config.change', user: cliActor(), src: null, action: 'create', kind: 'ApiToken', name });
        if (!(await stores.tokens.create(record))) throw new Refused(`a token named ${name} exists; revoke it first`);
        print(format, { name, admin: record.admin, expiresAt: record.expiresAt, token: secret }, () =>
          `${secret}\n\ntoken ${name} (admin ${record.admin}${record.expiresAt ? `, expires ${record.expiresAt}` : ''}); it is not shown again.\n`
          + 'Use it as: Authorization: Bearer TOKEN\n');
      });
    });

  token.command('list')
    .description('list tokens (never the tokens themselves)')
    .action(async (_options, command: Command) => {
      const format = formatOf(command);
      await withRuntime(command, async ({ stores }) => {
        const tokens = (await stores.tokens.list()).map(({ tokenHash: _hash, ...shown }) => shown);
        print(format, tokens, () => tokens.length === 0 ? 'no tokens\n' : table(['NAME', 'ADMIN', 'CREATED', 'BY', 'EXPIRES'],
          tokens.map((t) => [t.name, t.admin, t.createdAt, t.createdBy, t.expiresAt ?? 'never'])));
      });
    });

  token.command('revoke')
    .description('revoke a token at once')
    .argument('<name>')
    .action(async (name: string, _options, command: Command) => {
      await withRuntime(command, async ({ stores, audit }) => {
        if (!(await stores.tokens.list()).some((t) => t.name === name)) throw new Refused(`no token named ${name}`);
        await audit.record({ type: 'config.change', user: cliActor(), src: null, action: 'delete', kind: 'ApiToken', name });
        await stores.tokens.revoke(name);
        process.stdout.write(`token ${name} revoked\n`);
      });
    });
}
