import type { Command } from 'commander';
import { initDataDir } from '../../data-dir/init-data-dir.js';
import { dataDirOf } from '../context.js';

export function registerInit(program: Command): void {
  program.command('init')
    .description('create the data dir: settings, host keys, vault key, store')
    .action(async (_options, command: Command) => {
      const dataDir = dataDirOf(command);
      const result = await initDataDir(dataDir);
      const out = process.stdout;
      out.write(result.created.length > 0 ? `initialised ${dataDir}\n` : `${dataDir} is already initialised; nothing changed\n`);
      for (const file of result.created.filter((f) => f !== dataDir)) out.write(`  created ${file}\n`);
      out.write('host keys:\n');
      for (const key of result.hostKeys) out.write(`  ${key.type} ${key.fingerprint}\n`);
    });
}
