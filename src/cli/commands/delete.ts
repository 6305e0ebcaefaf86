import type { Command } from 'commander';
import { withRuntime, cliActor } from '../context.js';
import { Refused } from '../cli-errors.js';
import { storeKind } from './get.js';
import type { ResourceKind } from '../../domain/resources.js';
import { deleteBlocker } from '../../resources/references.js';

const KIND_NAME: Record<ReturnType<typeof storeKind>, ResourceKind> = { users: 'User', targets: 'Target', roles: 'Role', credentials: 'Credential' };

export function registerDelete(program: Command): void {
  program.command('delete')
    .description('remove one resource')
    .argument('<kind>', 'user | target | role | credential')
    .argument('<name>')
    .action(async (kindArg: string, name: string, _options, command: Command) => {
      const kind = KIND_NAME[storeKind(kindArg)];
      await withRuntime(command, async ({ stores, audit }) => {
        if (!(await stores[storeKind(kindArg)].get(name))) throw new Refused(`no ${kind.toLowerCase()} named ${name}`);
        const [users, targets, roles] = await Promise.all([stores.users.list(), stores.targets.list(), stores.roles.list()]);
        const blocker = deleteBlocker(kind, name, {
          users: new Map(users.map((u) => [u.name, u])), targets: new Map(targets.map((t) => [t.name, t])), roles: new Map(roles.map((r) => [r.name, r])),
        });
        if (blocker) throw new Refused(blocker);
        await audit.recordChange([{ type: 'config.change', user: cliActor(), src: null, action: 'delete', kind, name }],
          (changeAudit) => stores.applyChanges([{ op: 'delete', kind, name }], changeAudit));
        process.stdout.write(`${kind.toLowerCase()}/${name} deleted\n`);
      });
    });
}
