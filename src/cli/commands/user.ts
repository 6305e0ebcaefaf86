import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { addOne, collect } from './quick-add.js';
import { UsageError } from '../cli-errors.js';
import { registerUserFactors } from './user-factors.js';

function readKeys(files: string[]): string[] {
  return files.flatMap((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read key file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    return text.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  });
}

export function registerUser(program: Command): void {
  const user = program.command('user').description('quick user management');
  user.command('add')
    .description('add a user with public keys and roles')
    .argument('<name>')
    .option('--key <file>', 'public key file (repeatable)', collect)
    .option('--role <role>', 'role (repeatable)', collect)
    .option('--source-cidr <cidr>', 'allowed source address block (repeatable)', collect)
    .action(async (name: string, options: { key?: string[]; role?: string[]; sourceCidr?: string[] }, command: Command) => {
      await addOne(command, {
        kind: 'User', name, keys: readKeys(options.key ?? []), roles: options.role ?? [], sourceCidrs: options.sourceCidr ?? [],
      });
    });
  registerUserFactors(user);
}
