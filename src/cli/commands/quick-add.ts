/** Shared by `user add` and `target add`: one resource through the same checks as `apply`. */
import type { Command } from 'commander';
import { ResourceSchema } from '../../domain/resources.js';
import { describeIssue } from '../../domain/issue-text.js';
import { applyResources } from '../../resources/apply-resources.js';
import { withRuntime, cliActor } from '../context.js';
import { Refused, UsageError } from '../cli-errors.js';

export async function addOne(command: Command, value: Record<string, unknown>): Promise<void> {
  const result = ResourceSchema.safeParse(value);
  if (!result.success) {
    throw new UsageError(result.error.issues.map((issue) => `${String(value.kind)} ${String(value.name)}: ${describeIssue(issue)}`).join('; '));
  }
  const resource = result.data;
  await withRuntime(command, async (runtime) => {
    const kind = resource.kind === 'User' ? 'users' : 'targets';
    if (await runtime.stores[kind].get(resource.name)) {
      throw new Refused(`${resource.kind.toLowerCase()} ${resource.name} already exists; change it with: jumpgate apply -f`);
    }
    await applyResources({
      stores: runtime.stores, audit: runtime.audit, actor: cliActor(),
      vault: runtime.vault,
    }, [{ resource, file: '<command line>', line: 0 }], process.cwd());
  });
  process.stdout.write(`${resource.kind.toLowerCase()}/${resource.name} created\n`);
}

export const collect = (value: string, previous: string[] = []) => [...previous, value];
