/** `target test` and `target trust`: walk a target's chain with the stored credentials. */
import type { Command } from 'commander';
import { printable } from '../../log/printable.js';
import { withRuntime, cliActor } from '../context.js';
import { Refused } from '../cli-errors.js';
import { createUpstream } from '../../main.js';
import { auditUpstreamFailure } from '../../gateway/direct-tcpip-channel.js';
import { hopChain } from '../../inventory/hop-chain.js';
import type { Runtime } from '../../main.js';
import type { Target } from '../../domain/resources.js';
import { probeTarget, trustTargetKey, TrustRefused } from '../../upstream/target-probe.js';
import { print } from '../output.js';
import { formatOf } from '../context.js';

/** A chain that logs in with stored credentials needs the vault: say so before dialing. */
async function requireVault(runtime: Runtime, target: Target): Promise<void> {
  const targets = new Map((await runtime.stores.targets.list()).map((t) => [t.name, t]));
  const chain = hopChain(target, (n) => targets.get(n));
  const withCredential = [...(chain.ok ? chain.hops : []), target].find((hop) => hop.credential);
  if (!withCredential) return;
  try {
    runtime.vault();
  } catch (error) {
    throw new Refused(`cannot log into ${withCredential.name} with credential ${withCredential.credential}: ${(error as Error).message} (see: jumpgate doctor)`);
  }
}

export function registerTargetChecks(target: Command): void {
  target.command('test')
    .description('connect to a target through its chain with its credential; report each hop, its latency and host key')
    .argument('<name>')
    .action(async (name: string, _options, command: Command) => {
      const format = formatOf(command);
      await withRuntime(command, async (runtime) => {
        const found = await runtime.stores.targets.get(name);
        if (!found) throw new Refused(`no target named ${name}`);
        await requireVault(runtime, found);
        const result = await probeTarget(createUpstream(runtime), found, (failed, failure) => auditUpstreamFailure(runtime, cliActor(), null, failed.name, failure), (hop) => {
          if (format === 'text') process.stdout.write(`ok    ${hop.hop.padEnd(16)} ${printable(hop.address).padEnd(24)} ${String(hop.latencyMs).padStart(5)} ms  ${hop.hostKey}${hop.loggedIn ? '' : '  (host key only: no credential to log in)'}\n`);
        });
        if (!result.ok) {
          await new Promise((resolve) => setTimeout(resolve, 50)); // let the failure's audit land
          if (format !== 'text') throw new Refused(result.message);
          // The table says it all: one line per failed attempt, and exit 1.
          for (const attempt of result.attempts) process.stdout.write(`FAIL  ${attempt.hop.padEnd(16)} ${printable(attempt.address).padEnd(24)} ${printable(attempt.why)}\n`);
          process.exitCode = 1;
          return;
        }
        if (format !== 'text') print(format, { target: name, ok: true, hops: result.hops }, () => '');
      });
    });

  target.command('trust')
    .description('accept the current host key of a target (and of its hops) deliberately, after a change')
    .argument('<name>')
    .action(async (name: string, _options, command: Command) => {
      await withRuntime(command, async (runtime) => {
        const found = await runtime.stores.targets.get(name);
        if (!found) throw new Refused(`no target named ${name}`);
        try {
          const { fingerprint, previous } = await trustTargetKey({ ...runtime, pool: createUpstream(runtime) }, found, { user: cliActor(), src: null });
          process.stdout.write(`${name}: now trusting ${fingerprint ?? '?'}${previous ? ` (was ${previous})` : ''}\n`);
        } catch (error) {
          if (error instanceof TrustRefused) throw new Refused(error.message);
          throw error;
        }
      });
    });
}
