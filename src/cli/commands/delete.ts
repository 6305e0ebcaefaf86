import type { Command } from 'commander';
import { withRuntime, cliActor } from '../context.js';
import { Refused } from '../cli-errors.js';
import { storeKind } from './get.js';
import type { ResourceKind } from '../../domain/resources.js';
import { deleteBlocker, storeView } from '../../resources/references.js';

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
        const blocker = deleteBlocker(kind, name, await storeView(stores));
        if (blocker) throw new Refused(blocker);
        await audit.recordChange([{ type: 'config.change', user: cliActor(), src: null, action: 'delete', kind, name }],
          (changeAudit) => stores.applyChanges([{ op: 'delete', kind, name }], changeAudit));
        process.stdout.write(`${kind.toLowerCase()}/${name} deleted\n`);
      });
    });
}
