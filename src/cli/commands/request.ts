/** `request list|approve|deny`: just-in-time access requests (SPEC §4, §12), decided as the operator's act. */
import type { Command } from 'commander';
import { withRuntime, formatOf, cliActor } from '../context.js';
import { Refused, UsageError } from '../cli-errors.js';
import { print, table } from '../output.js';
import { formatDuration } from '../../config/duration.js';
import { decideRequest, type Outcome } from '../../requests/request-service.js';
import type { AccessRequestRecord } from '../../requests/access-request.js';

const LIST_LIMIT = 500;

export function registerRequest(program: Command): void {
  const request = program.command('request').description('just-in-time access requests: list, approve, deny');
  request.command('list')
    .description('pending requests (--all: every request, newest first)')
    .option('--all', 'every request, decided and expired ones too')
    .action(async (options: { all?: boolean }, command: Command) => {
      const format = formatOf(command);
      await withRuntime(command, async ({ stores }) => {
        const requests = await stores.requests.list({ status: options.all ? undefined : ['pending'], limit: LIST_LIMIT });
        print(format, requests, () => requests.length === 0 ? (options.all ? 'no access requests\n' : 'no pending access requests\n')
          : table(['ID', 'USER', 'ROLE', 'FOR', 'STATUS', 'UNTIL', 'BY', 'REASON'], requests.map((r) => [
            r.id, r.user, r.role, formatDuration(r.durationMs), r.status, r.until ?? (r.status === 'pending' ? `lapses ${r.lapsesAt}` : ''), r.decidedBy ?? '', r.reason,
          ])));
      });
    });
  for (const [verb, status] of [['approve', 'approved'], ['deny', 'denied']] as const) {
    request.command(verb)
      .description(verb === 'approve' ? 'approve a pending request: the role is granted from now for the duration asked' : 'deny a pending request')
      .argument('<id>')
      .option('--reason <text>', 'why (recorded in the audit event)')
      .action(async (id: string, options: { reason?: string }, command: Command) => {
        const format = formatOf(command);
        await withRuntime(command, async (runtime) => {
          const decided = valueOf(await decideRequest(runtime, { kind: 'operator', actor: cliActor() }, id, status, options.reason));
          print(format, decided, () => decidedText(decided));
        });
      });
  }
}

function decidedText(request: AccessRequestRecord): string {
  return request.status === 'approved'
    ? `request ${request.id} approved: ${request.user} holds role ${request.role} until ${request.until}\n`
    : `request ${request.id} denied: ${request.user} does not get role ${request.role}\n`;
}

function valueOf<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  if (outcome.code === 'invalid') throw new UsageError(outcome.message);
  throw new Refused(outcome.message);
}
