/**
 * Shared by `user add|set`, `target add|set` and `role add|set`: one resource through the
 * same checks as `apply` (schema, references, audit), without a YAML round trip.
 */
import type { Command } from 'commander';
import { ResourceSchema, type Resource } from '../../domain/resources.js';
import { describeIssue } from '../../domain/issue-text.js';
import { ResourceFileError } from '../../domain/resource-yaml.js';
import { applyResources, type ChangeAction } from '../../resources/apply-resources.js';
import type { Runtime } from '../../main.js';
import { withRuntime, cliActor } from '../context.js';
import { Refused, UsageError } from '../cli-errors.js';

export type QuickKind = 'user' | 'target' | 'role';
const STORE = { user: 'users', target: 'targets', role: 'roles' } as const;

/** Creates a resource; refuses when one of that name exists, pointing at `KIND set`. */
export async function addOne(command: Command, value: Record<string, unknown>, after?: (runtime: Runtime) => Promise<void>): Promise<void> {
  const kind = String(value.kind).toLowerCase() as QuickKind;
  const name = String(value.name);
  const resource = validate(value);
  await withRuntime(command, async (runtime) => {
    if (await runtime.stores[STORE[kind]].get(name)) {
      throw new Refused(`${kind} ${name} already exists; change it with: jumpgate ${kind} set ${name} …`);
    }
    report(kind, name, await save(runtime, resource));
    await after?.(runtime);
  });
}

/** Changes fields of an existing resource; what `change` leaves alone stays as it is. */
export async function setOne(command: Command, kind: QuickKind, name: string, change: (current: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
  await withRuntime(command, async (runtime) => {
    const current = await runtime.stores[STORE[kind]].get(name);
    if (!current) throw new Refused(`no ${kind} named ${name}; create it with: jumpgate ${kind} add ${name} …`);
    report(kind, name, await save(runtime, validate(change({ ...current }))));
  });
}

function validate(value: Record<string, unknown>): Resource {
  const result = ResourceSchema.safeParse(value);
  if (result.success) return result.data;
  throw new UsageError(result.error.issues.map((issue) => `${String(value.kind).toLowerCase()} ${String(value.name)}: ${describeIssue(issue)}`).join('; '));
}

async function save(runtime: Runtime, resource: Resource): Promise<ChangeAction> {
  try {
    const [change] = await applyResources({ stores: runtime.stores, audit: runtime.audit, actor: cliActor(), vault: runtime.vault },
      [{ resource, file: 'command line', line: 0 }], process.cwd());
    return change.action;
  } catch (error) {
    // The command line has no file and line to point at: the problems alone.
    if (error instanceof ResourceFileError) throw new UsageError(error.errors.map((e) => e.message).join('; '));
    throw error;
  }
}

function report(kind: QuickKind, name: string, action: ChangeAction): void {
  process.stdout.write(`${kind}/${name} ${action}\n`);
}

export const collect = (value: string, previous: string[] = []) => [...previous, value];
