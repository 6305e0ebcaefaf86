import type { Command } from 'commander';
import { withRuntime, formatOf } from '../context.js';
import { Refused, UsageError } from '../cli-errors.js';
import { parseDuration } from '../../config/duration.js';
import { dataPath } from '../../config/load-settings.js';
import { verifyAuditFile } from '../../audit/verify-file.js';
import type { AuditEvent } from '../../audit/events.js';
import type { AuditFilter } from '../../store/store.js';

const CHAIN_FIELDS = new Set(['ts', 'id', 'type', 'node', 'user', 'src', 'prev', 'hash', 'seq']);

/** `--since` takes an RFC 3339 time or a duration back from now (`10m`, `24h`). */
export function parseSince(text: string, now = Date.now()): string {
  const back = parseDuration(text);
  if (back !== null) return new Date(now - back).toISOString();
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw new UsageError(`--since must be a time (2026-01-31T10:00:00Z) or a duration (10m), not ${text}`);
  return new Date(time).toISOString();
}

function eventLine(event: AuditEvent): string {
  const details = Object.entries(event).filter(([key, value]) => !CHAIN_FIELDS.has(key) && value !== undefined && value !== null)
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`).join(' ');
  return `${event.ts}  ${event.type.padEnd(16)} ${(event.user ?? '-').padEnd(12)} ${(event.src ?? '-').padEnd(21)} ${details}\n`;
}

export function registerAudit(program: Command): void {
  const audit = program.command('audit')
    .description('show audit events')
    .option('--follow', 'keep printing new events')
    .option('--since <time>', 'from this time (RFC 3339) or this long ago (10m, 24h)')
    .option('--user <user>', 'only events of this user')
    .option('--type <type>', 'only this type (session matches session.start and session.end)')
    .action(async (options: { follow?: boolean; since?: string; user?: string; type?: string }, command: Command) => {
      const format = formatOf(command);
      const filter: AuditFilter = { since: options.since ? parseSince(options.since) : undefined, user: options.user, type: options.type };
      const write = (event: AuditEvent & { seq: number }) => {
        const { seq: _seq, ...plain } = event;
        process.stdout.write(format === 'text' ? eventLine(plain as AuditEvent) : JSON.stringify(plain) + '\n');
      };
      await withRuntime(command, async ({ stores }) => {
        let last = 0;
        for (const event of (await stores.audit.list(filter)) as Array<AuditEvent & { seq: number }>) { write(event); last = event.seq; }
        if (!options.follow) return;
        // Poll the store: it is shared with the gateway process (and with other nodes).
        await new Promise<void>((resolve) => {
          const timer = setInterval(async () => {
            for (const event of (await stores.audit.list({ ...filter, afterSeq: last })) as Array<AuditEvent & { seq: number }>) { write(event); last = event.seq; }
          }, 500);
          const stop = () => { clearInterval(timer); resolve(); };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      });
    });

  audit.command('verify')
    .description('check the audit hash chain (exit 1 naming the first altered event)')
    .action(async (_options, command: Command) => {
      await withRuntime(command, async ({ dataDir, settings }) => {
        const file = dataPath(dataDir, settings.audit.file);
        const verdict = verifyAuditFile(file);
        if (!verdict.ok) {
          throw new Refused(`audit chain broken at ${file}:${verdict.line}: event ${verdict.id ?? '(unreadable)'}: ${verdict.reason}`);
        }
        process.stdout.write(`audit chain intact: ${verdict.events} events in ${file}\n`);
      });
    });
}
