/** `target test` and `target trust`: walk a target's chain with the stored credentials. */
import type { Command } from 'commander';
import { printable } from '../../log/printable.js';
import { withRuntime, cliActor } from '../context.js';
import { Refused } from '../cli-errors.js';
import { createUpstream } from '../../main.js';
import { TargetUnreachable } from '../../upstream/upstream-pool.js';
import { auditUpstreamFailure } from '../../gateway/direct-tcpip-channel.js';
import { hopChain, hopsOf } from '../../inventory/hop-chain.js';
import type { Runtime } from '../../main.js';
import type { Target } from '../../domain/resources.js';
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
        const upstream = createUpstream(runtime);
        const hops: Array<{ hop: string; address: string; latencyMs: number; hostKey: string; loggedIn: boolean }> = [];
        try {
          await upstream.connectAll(found, (failed, failure) => auditUpstreamFailure(runtime, cliActor(), null, failed.name, failure), (hop, connection) => {
            hops.push({ hop: hop.name, address: connection.address, latencyMs: connection.latencyMs, hostKey: connection.hostKey.fingerprint, loggedIn: connection.authenticated });
            if (format === 'text') process.stdout.write(`ok    ${hop.name.padEnd(16)} ${printable(connection.address).padEnd(24)} ${String(connection.latencyMs).padStart(5)} ms  ${connection.hostKey.fingerprint}${connection.authenticated ? '' : '  (host key only: no credential to log in)'}\n`);
          });
        } catch (error) {
          await new Promise((resolve) => setTimeout(resolve, 50)); // let the failure's audit land
          if (error instanceof TargetUnreachable) {
            if (format !== 'text') throw new Refused(error.message);
            // The table says it all: one line per failed attempt, and exit 1.
            for (const attempt of error.attempts) process.stdout.write(`FAIL  ${attempt.hop.padEnd(16)} ${printable(attempt.address).padEnd(24)} ${printable(attempt.why)}\n`);
            process.exitCode = 1;
            return;
          }
          throw error;
        } finally {
          await upstream.closeAll();
        }
        if (format !== 'text') print(format, { target: name, ok: true, hops }, () => '');
      });
    });

  target.command('trust')
    .description('accept the current host key of a target (and of its hops) deliberately, after a change')
    .argument('<name>')
    .action(async (name: string, _options, command: Command) => {
      await withRuntime(command, async (runtime) => {
        const { stores, audit } = runtime;
        const found = await stores.targets.get(name);
        if (!found) throw new Refused(`no target named ${name}`);
        if (found.hostKey) throw new Refused(`${name} has a pinned hostKey in its resource; change it there`);
        // Forget the key of the named target only, then learn it again through its (still verified) chain.
        const before = await stores.hostKeys.get(name);
        await stores.hostKeys.delete(name);
        const targets = new Map((await stores.targets.list()).map((t) => [t.name, t]));
        hopsOf(found, (n) => targets.get(n) ?? null);
        const upstream = createUpstream(runtime);
        try {
          await upstream.connectAll(found, () => {}, () => {});
        } catch (error) {
          if (before) await stores.hostKeys.put(before);
          throw new Refused(error instanceof Error ? error.message : String(error));
        } finally {
          await upstream.closeAll();
        }
        const after = await stores.hostKeys.get(name);
        try {
          await audit.record({ type: 'config.change', user: cliActor(), src: null, action: 'update', kind: 'HostKey', name });
        } catch (error) {
          // Without its event the new key is not trusted: the old one comes back.
          await stores.hostKeys.delete(name);
          if (before) await stores.hostKeys.put(before);
          throw error;
        }
        process.stdout.write(`${name}: now trusting ${after?.fingerprint ?? '?'}${before ? ` (was ${before.fingerprint})` : ''}\n`);
      });
    });
}
