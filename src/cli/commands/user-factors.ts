/** `user passwd` and `user totp`: a user's password and second factor, kept apart from the User resource. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import QRCode from 'qrcode';
import { withRuntime, cliActor } from '../context.js';
import { Refused, UsageError } from '../cli-errors.js';
import { hashPassword } from '../../auth/password.js';
import { enrolTotp, totpVaultName } from '../../auth/totp.js';
import { hashRecoveryCode } from '../../auth/recovery-codes.js';
import { readHiddenLine } from '../prompt.js';

const MIN_PASSWORD_LENGTH = 12;

async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin) return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  if (!process.stdin.isTTY) throw new UsageError('no terminal to prompt on; pass the password with --stdin');
  const first = await readHiddenLine('New password: ');
  const second = await readHiddenLine('Repeat it: ');
  if (first !== second) throw new UsageError('the two passwords differ');
  return first;
}

export function registerUserFactors(user: Command): void {
  user.command('passwd')
    .description('set (or with --remove, remove) a user\'s password, stored as an argon2id hash')
    .argument('<name>')
    .option('--stdin', 'read the password from standard input')
    .option('--remove', 'remove the password')
    .action(async (name: string, options: { stdin?: boolean; remove?: boolean }, command: Command) => {
      const password = options.remove ? null : await readPassword(options.stdin === true);
      if (password !== null && password.length < MIN_PASSWORD_LENGTH) throw new UsageError(`the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
      await withRuntime(command, async ({ stores, audit }) => {
        if (!(await stores.users.get(name))) throw new Refused(`no user named ${name}`);
        const hash = password === null ? null : await hashPassword(password);
        // The event first: a factor changes only once the trail holds who changed it.
        await audit.record({ type: 'config.change', user: cliActor(), src: null, action: 'update', kind: 'UserPassword', name });
        await stores.factors.setPassword(name, hash);
        process.stdout.write(password === null ? `password of ${name} removed\n` : `password of ${name} set\n`);
      });
    });

  user.command('totp')
    .description('enrol a TOTP second factor: prints the otpauth URI, a QR code and one-time recovery codes')
    .argument('<name>')
    .option('--reset', 'remove the second factor')
    .option('--replace', 'enrol again although a second factor is enrolled (the old one stops working)')
    .action(async (name: string, options: { reset?: boolean; replace?: boolean }, command: Command) => {
      await withRuntime(command, async ({ stores, audit, vault }) => {
        if (!(await stores.users.get(name))) throw new Refused(`no user named ${name}`);
        if (options.reset) {
          await audit.record({ type: 'config.change', user: cliActor(), src: null, action: 'delete', kind: 'UserTotp', name });
          await stores.factors.setTotp(name, null, []);
          process.stdout.write(`second factor of ${name} removed\n`);
          return;
        }
        if ((await stores.factors.get(name))?.totpSealed && !options.replace) {
          throw new Refused(`${name} has a second factor already; enrolling again replaces it and their authenticator entry stops working: jumpgate user totp ${name} --replace`);
        }
        const enrolment = enrolTotp(name);
        const sealed = vault().seal(totpVaultName(name), Buffer.from(enrolment.secretBase32));
        const recoveryHashes = await Promise.all(enrolment.recoveryCodes.map(hashRecoveryCode));
        await audit.record({ type: 'config.change', user: cliActor(), src: null, action: 'update', kind: 'UserTotp', name });
        await stores.factors.setTotp(name, sealed, recoveryHashes);
        // Colour codes only for a terminal; a file or a pipe gets the same code in plain block characters.
        const qr = await QRCode.toString(enrolment.uri, process.stdout.isTTY ? { type: 'terminal', small: true } : { type: 'utf8' });
        process.stdout.write(`Scan this with an authenticator app, or enter the URI:\n\n${qr}\n${enrolment.uri}\n\n`
          + `Recovery codes (each works once; keep them somewhere safe, they are not shown again):\n`
          + enrolment.recoveryCodes.map((c) => `  ${c}`).join('\n') + '\n');
      });
    });
}
