import type { Command } from 'commander';
import { withRuntime, formatOf } from '../context.js';
import { Refused, UsageError } from '../cli-errors.js';
import { parseDuration } from '../../config/duration.js';
import { dataPath } from '../../config/load-settings.js';
import { verifyAudit } from '../../audit/verify-audit.js';
import { printable, printableJson, printableToken } from '../../log/printable.js';
import { makeBundle, verifyBundle, loadSigningKey, keyFingerprint, SIGNING_KEY_FILE, type AuditBundle } from '../../audit/export-bundle.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { AuditEvent } from '../../audit/events.js';
import type { AuditFilter } from '../../store/store.js';
import { checkTypeFilter } from '../../audit/type-filter.js';

const CHAIN_FIELDS = new Set(['ts', 'id', 'type', 'node', 'user', 'src', 'prev', 'hash', 'seq']);

/** `--node-file NODE=FILE`: another node's audit file, named by that node. */
function collectNodeFile(value: string, previous: Array<{ node: string; file: string }> = []): Array<{ node: string; file: string }> {
  const at = value.indexOf('=');
  if (at <= 0 || at === value.length - 1) throw new UsageError(`--node-file must be NODE=FILE, not ${value}`);
  const file = value.slice(at + 1);
  if (!existsSync(file)) throw new UsageError(`--node-file ${value}: no such file`);
  return [...previous, { node: value.slice(0, at), file: path.resolve(file) }];
}

/** `--since` takes an RFC 3339 time or a duration back from now (`10m`, `24h`). */
export function parseSince(text: string, now = Date.now()): string {
  const back = parseDuration(text);
  if (back !== null) return new Date(now - back).toISOString();
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw new UsageError(`--since must be a time (2026-01-31T10:00:00Z) or a duration (10m), not ${text}`);
  return new Date(time).toISOString();
}

/** One event on one line; every value escaped, as users and clients choose them. */
function eventLine(event: AuditEvent): string {
  const details = Object.entries(event).filter(([key, value]) => !CHAIN_FIELDS.has(key) && value !== undefined && value !== null)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? printableToken(value) : printableJson(value)}`).join(' ');
  return `${event.ts}  ${printable(event.type).padEnd(16)} ${printable(event.user ?? '-').padEnd(12)} ${printable(event.src ?? '-').padEnd(21)} ${details}\n`;
}

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('show, verify and export audit events');
  // Listing is the default subcommand, so `audit export --since` keeps its own --since.
  audit.command('list', { isDefault: true })
    .description('show audit events')
    .option('--follow', 'keep printing new events')
    .option('--since <time>', 'from this time (RFC 3339) or this long ago (10m, 24h)')
    .option('--user <user>', 'only events of this user')
    .option('--type <type>', 'only this type (session matches session.start and session.end)')
    .action(async (options: { follow?: boolean; since?: string; user?: string; type?: string }, command: Command) => {
      const format = formatOf(command);
      if (options.type !== undefined) {
        const check = checkTypeFilter(options.type);
        if (!check.ok) throw new UsageError(check.message);
      }
      const filter: AuditFilter = { since: options.since ? parseSince(options.since) : undefined, user: options.user, type: options.type };
      const write = (event: AuditEvent & { seq: number }) => {
        const { seq: _seq, ...plain } = event;
        process.stdout.write(format === 'text' ? eventLine(plain) : JSON.stringify(plain) + '\n');
      };
      await withRuntime(command, async ({ stores }) => {
        let last = 0;
        for (const event of await stores.audit.list(filter)) { write(event); last = event.seq; }
        if (!options.follow) return;
        // Poll the store: it is shared with the gateway process (and with other nodes).
        await new Promise<void>((resolve, reject) => {
          let reading = false;
          const timer = setInterval(() => {
            if (reading) return;
            reading = true;
            stores.audit.list({ ...filter, afterSeq: last }).then((events) => {
              for (const event of events) { write(event); last = event.seq; }
              reading = false;
            }, (error: Error) => { clearInterval(timer); reject(error); });
          }, 500);
          const stop = () => { clearInterval(timer); resolve(); };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      });
    });

  audit.command('verify')
    .description('check the audit hash chain across rotated files, and the store against it (exit 1 naming the first altered event)')
    .option('--node-file <node=file>', 'also check another node\'s audit.log (a copy), against the events that node wrote (repeatable)', collectNodeFile)
    .action(async (options: { nodeFile?: Array<{ node: string; file: string }> }, command: Command) => {
      await withRuntime(command, async ({ dataDir, settings, stores, node }) => {
        // This node's files, then each other node's: one store chain, every node's copy checked against it.
        const checks = [{ node, file: dataPath(dataDir, settings.audit.file) }, ...(options.nodeFile ?? [])];
        const verdicts = [];
        for (const check of checks) {
          const verdict = await verifyAudit(stores.audit, check.file, check.node);
          if (!verdict.ok) throw new Refused(`audit trail altered at ${printable(verdict.where)}: event ${printable(verdict.id ?? '(unreadable)')}: ${verdict.reason}`);
          verdicts.push({ ...check, verdict });
        }
        const first = verdicts[0].verdict;
        const perNode = verdicts.map(({ node: name, verdict }) => `${verdict.fileEvents} events of node ${printable(name)} in ${verdict.files.length} file(s)`).join('; ');
        process.stdout.write(`audit chain intact: ${first.storeEvents} events in the store; ${perNode}, matching it; head ${first.head}\n`);
      });
    });

  audit.command('export')
    .description('write a signed bundle of the events since a time, for auditors')
    .requiredOption('--since <time>', 'from this time (RFC 3339) or this long ago (24h, 30d)')
    .action(async (options: { since: string }, command: Command) => {
      // SPEC §4: `audit export --since T -o FILE` (here -o names the bundle file).
      const file = command.optsWithGlobals<{ output?: string }>().output;
      if (!file) throw new UsageError('-o FILE is required: where to write the bundle');
      const since = parseSince(options.since);
      await withRuntime(command, async ({ dataDir, stores, node }) => {
        const events = ((await stores.audit.list({ since })) as Array<AuditEvent & { seq?: number }>).map(({ seq: _seq, ...event }) => event);
        const key = loadSigningKey(path.join(dataDir, SIGNING_KEY_FILE));
        const bundle = makeBundle(events, key, { node, since });
        writeFileSync(file, JSON.stringify(bundle, null, 1) + '\n');
        process.stdout.write(`wrote ${events.length} events since ${since} to ${file}\nsigned by ${keyFingerprint(Buffer.from(bundle.publicKey, 'base64'))}; check it with: jumpgate audit verify-export ${file}\n`);
      });
    });

  audit.command('verify-export')
    .description('check a signed audit bundle offline (exit 1 if altered)')
    .argument('<file>')
    .option('--key <fingerprint>', 'the signer\'s key fingerprint (SHA256:...) you expect')
    .action(async (file: string, options: { key?: string }) => {
      let bundle: AuditBundle;
      try {
        bundle = JSON.parse(readFileSync(file, 'utf8')) as AuditBundle;
      } catch (error) {
        throw new UsageError(`${file}: not a readable bundle (${(error as Error).message})`);
      }
      const verdict = verifyBundle(bundle);
      if (!verdict.ok) throw new Refused(`${file}: ${verdict.reason}`);
      if (options.key && options.key !== verdict.signer) throw new Refused(`${file}: signed by ${verdict.signer}, not ${options.key}`);
      process.stdout.write(`${file}: intact; ${verdict.count} events, head ${verdict.head ?? '(none)'}, signed by ${verdict.signer}\n`);
    });
}
