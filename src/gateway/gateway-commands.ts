/**
 * Runs the gateway's own exec commands (SPEC §2.7, §12) for an authenticated user and says
 * the outcome as the text and exit status the OpenSSH client shows: 0 done, 1 refused,
 * 2 bad usage or input (as the CLI's codes, SPEC §4).
 */
import type { GatewayDeps } from './gateway-deps.js';
import { parseGatewayCommand, type GatewayCommand } from './gateway-command-line.js';
import { fileRequest, type Outcome } from '../requests/request-service.js';
import { reachableTargetList } from '../policy/reachable-targets.js';
import { formatDuration } from '../config/duration.js';
import { printable } from '../log/printable.js';
import type { AccessRequestRecord } from '../requests/access-request.js';

export interface CommandResult { stdout: string; stderr: string; status: number }

export interface CommandCaller {
  user: string;
  src: string;
  /** How the user reached the gateway, for the hints printed (`ssh -p PORT USER@HOST`). */
  gate: { host: string; port: number };
}

/** Null when the line is none of the gateway's commands: the caller refuses it as before. */
export async function runGatewayCommand(deps: Pick<GatewayDeps, 'stores' | 'audit' | 'settings'>, caller: CommandCaller, line: string): Promise<CommandResult | null> {
  const parsed = parseGatewayCommand(line);
  if (!parsed.ok) return parsed.usage === null ? null : { stdout: '', stderr: `jumpgate: ${parsed.usage}\n`, status: 2 };
  return run(deps, caller, parsed.command);
}

async function run(deps: Pick<GatewayDeps, 'stores' | 'audit' | 'settings'>, caller: CommandCaller, command: GatewayCommand): Promise<CommandResult> {
  const again = `ssh -p ${caller.gate.port} ${caller.user}@${caller.gate.host}`;
  switch (command.name) {
    case 'request': {
      const outcome = await fileRequest(deps, { user: caller.user, src: caller.src }, command);
      if (!outcome.ok) return refused(outcome);
      const request = outcome.value;
      const role = await deps.stores.roles.get(request.role);
      const approvers = role?.requestable?.approvers.join(', ') ?? '';
      return done([
        `jumpgate: request ${request.id} filed: role ${request.role} for ${formatDuration(request.durationMs)} (${printable(request.reason)})`,
        `next: a holder of role ${approvers} approves it in the web console (Access requests), or an operator with: jumpgate request approve ${request.id}`,
        `once approved, role ${request.role} is yours for ${formatDuration(request.durationMs)}; see where it stands with: ${again} requests`,
      ]);
    }
    case 'requests': {
      const requests = await deps.stores.requests.list({ user: caller.user, limit: 20 });
      if (requests.length === 0) return done([`jumpgate: ${caller.user} has no access requests; ask with: ${again} request ROLE --for 2h --reason TEXT`]);
      return done([`jumpgate: access requests of ${caller.user} (newest first):`, ...requests.map(requestLine)]);
    }
    case 'targets': {
      const [sessions, jumps] = await Promise.all([reachableTargetList(deps.stores, caller.user, 'session'), reachableTargetList(deps.stores, caller.user, 'jump')]);
      const names = [...new Set([...sessions, ...jumps].map((t) => t.name))].sort();
      if (names.length === 0) return done([`jumpgate: no target is granted to ${caller.user} now; ask for a role with: ${again} request ROLE --for 2h --reason TEXT`]);
      const kinds = (name: string) => [jumps.some((t) => t.name === name) ? 'jump' : null, sessions.some((t) => t.name === name) ? 'session' : null].filter(Boolean).join(', ');
      return done([`jumpgate: targets ${caller.user} may reach now:`, ...names.map((name) => `  ${name}  (${kinds(name)})`)]);
    }
  }
}

function requestLine(request: AccessRequestRecord): string {
  const state = request.status === 'approved' ? `approved until ${request.until}` : request.status;
  return `  ${request.id}  ${request.role}  ${formatDuration(request.durationMs)}  ${state}  ${printable(request.reason)}`;
}

function done(lines: string[]): CommandResult {
  return { stdout: lines.join('\n') + '\n', stderr: '', status: 0 };
}

function refused(outcome: Outcome<unknown> & { ok: false }): CommandResult {
  return { stdout: '', stderr: `jumpgate: ${outcome.message}\n`, status: outcome.code === 'invalid' ? 2 : 1 };
}
