/** `target test` and `target trust`: walk a target's chain with the stored credentials. */
import type { Command } from 'commander';
import { printable } from '../../log/printable.js';
import { withRuntime, cliActor } from '../context.js';
import { Refused } from '../cli-errors.js';
import { createUpstream } from '../../main.js';
import { auditUpstreamFailure } from '../../gateway/direct-tcpip-channel.js';
import { probeTarget, trustTargetKey, TrustRefused } from '../../upstream/target-probe.js';
import { print } from '../output.js';
import { formatOf } from '../context.js';

export function registerTargetChecks(target: Command): void {
  target.command('test')
    .description('connect to a target through its chain with its credential; report each hop, its latency and host key')
    .argument('<name>')
    .action(async (name: string, _options, command: Command) => {
      const format = formatOf(command);
      await withRuntime(command, async (runtime) => {
        const found = await runtime.stores.targets.get(name);
        if (!found) throw new Refused(`no target named ${name}`);
        const result = await probeTarget(createUpstream(runtime), found, (failed, failure) => auditUpstreamFailure(runtime, cliActor(), null, failed.name, failure), (hop) => {
          if (format === 'text') process.stdout.write(`ok    ${hop.hop.padEnd(16)} ${printable(hop.address).padEnd(24)} ${String(hop.latencyMs).padStart(5)} ms  ${hop.hostKey}${hop.loggedIn ? '' : '  (host key only: no credential to log in)'}\n`);
        });
        if (!result.ok) {
          await new Promise((resolve) => setTimeout(resolve, 50)); // let the failure's audit land
          const last = result.failure;
          if (format === 'text' && last) process.stdout.write(`FAIL  ${last.hop.padEnd(16)} ${printable(last.address).padEnd(24)} ${printable(last.why)}\n`);
          throw new Refused(result.message);
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
