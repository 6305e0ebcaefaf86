import type { Command } from 'commander';
import { addOne, setOne, collect } from './quick-add.js';
import { UsageError } from '../cli-errors.js';
import { registerUserFactors } from './user-factors.js';
import { readPublicKeys } from './user-keys.js';
import { keyLine, type UserKey } from '../../domain/resources.js';
import { fingerprint, publicKeyBlob } from '../../domain/ssh-public-key.js';

function fingerprintOf(key: UserKey): string | null {
  const blob = publicKeyBlob(keyLine(key));
  return blob ? fingerprint(blob) : null;
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
      const keys = readPublicKeys(options.key ?? [], '--key');
      await addOne(command, { kind: 'User', name, keys, roles: options.role ?? [], sourceCidrs: options.sourceCidr ?? [] }, async ({ settings }) => {
        // Not an error: a password or a certificate may follow. But say it, so nobody wonders why the login fails.
        if (keys.length === 0 && settings.ssh.trustedUserCAKeys.length === 0) {
          process.stderr.write(`jumpgate: note: ${name} has no key yet and cannot log in; add one with: jumpgate user set ${name} --add-key FILE.pub\n`);
        }
      });
    });

  user.command('set')
    .description('change a user: the flags given replace those fields, the rest stays')
    .argument('<name>')
    .option('--role <role>', 'the user\'s roles, replacing the current ones (repeatable)', collect)
    .option('--no-roles', 'remove every role')
    .option('--add-key <file>', 'add the public keys of this file (repeatable)', collect)
    .option('--remove-key <fingerprint>', 'remove the key with this SHA256 fingerprint (repeatable)', collect)
    .option('--source-cidr <cidr>', 'allowed source address blocks, replacing the current ones (repeatable)', collect)
    .option('--enable', 'let the user log in again')
    .option('--disable', 'refuse the user\'s logins (the resource and its history stay)')
    .action(async (name: string, options: { role?: string[]; roles?: boolean; addKey?: string[]; removeKey?: string[]; sourceCidr?: string[]; enable?: boolean; disable?: boolean }, command: Command) => {
      if (options.enable && options.disable) throw new UsageError('--enable and --disable exclude each other');
      if (options.role && options.roles === false) throw new UsageError('--role and --no-roles exclude each other');
      const added = readPublicKeys(options.addKey ?? [], '--add-key');
      await setOne(command, 'user', name, (current) => {
        let keys = current.keys as UserKey[];
        for (const wanted of options.removeKey ?? []) {
          const kept = keys.filter((key) => fingerprintOf(key) !== wanted);
          if (kept.length === keys.length) {
            throw new UsageError(`user ${name} has no key ${wanted}; its keys: ${keys.map(fingerprintOf).join(', ') || 'none'}`);
          }
          keys = kept;
        }
        const present = new Set(keys.map(fingerprintOf));
        for (const key of added) {
          if (present.has(fingerprintOf(key))) continue;
          present.add(fingerprintOf(key));
          keys = [...keys, key];
        }
        return {
          ...current,
          keys,
          ...(options.role ? { roles: options.role } : options.roles === false ? { roles: [] } : {}),
          ...(options.sourceCidr ? { sourceCidrs: options.sourceCidr } : {}),
          ...(options.enable ? { disabled: false } : options.disable ? { disabled: true } : {}),
        };
      });
    });
  registerUserFactors(user);
}
