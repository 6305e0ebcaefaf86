/**
 * `jumpgate certificate revoke SERIAL`, `certificate revoked`, `certificate ca-key`: the
 * certificates jumpgate's user CA signs for `jumpgate login` (SPEC §12). A revoked serial
 * is kept in the store, so every node refuses it from the next login.
 */
import type { Command } from 'commander';
import { withRuntime, formatOf, cliActor } from '../context.js';
import { Refused, UsageError } from '../cli-errors.js';
import { print, table } from '../output.js';
import { createUserCa } from '../../main.js';

const MAX_SERIAL = 0xffffffffffffffffn;

/** A serial as `ssh-keygen -L` prints it (decimal), normalised. */
function serialOf(text: string): string {
  if (!/^\d{1,20}$/.test(text) || BigInt(text) > MAX_SERIAL) throw new UsageError(`${text} is not a certificate serial (a decimal number, as ssh-keygen -L prints it)`);
  return BigInt(text).toString();
}

export function registerCertificate(program: Command): void {
  const certificate = program.command('certificate').description("certificates of jumpgate's user CA (written by jumpgate login)");
  certificate.command('revoke')
    .description('refuse the certificate with this serial at every later login, on every node')
    .argument('<serial>', 'the serial (decimal), as the certificate.issue event and ssh-keygen -L show it')
    .option('--reason <text>', 'why, kept with the revocation', 'revoked by an operator')
    .action(async (text: string, options: { reason: string }, command: Command) => {
      const serial = serialOf(text);
      await withRuntime(command, async ({ stores, audit }) => {
        if (await stores.revokedSerials.has(serial)) {
          process.stdout.write(`serial ${serial} was revoked already\n`);
          return;
        }
        // Recorded first: a serial is revoked only once the trail holds it.
        await audit.record({ type: 'config.change', user: cliActor(), src: null, action: 'update', kind: 'RevokedCertificate', name: serial });
        const added = await stores.revokedSerials.add({ serial, revokedAt: new Date().toISOString(), revokedBy: cliActor(), reason: options.reason });
        process.stdout.write(added ? `revoked serial ${serial}: refused at the next login on every node\n` : `serial ${serial} was revoked already\n`);
      });
    });
  certificate.command('revoked')
    .description('the revoked serials')
    .action(async (_options, command: Command) => {
      await withRuntime(command, async ({ stores }) => {
        const rows = await stores.revokedSerials.list();
        print(formatOf(command), rows, () => rows.length === 0 ? 'no revoked certificates\n'
          : table(['SERIAL', 'REVOKED', 'BY', 'REASON'], rows.map((r) => [r.serial, r.revokedAt, r.revokedBy, r.reason])));
      });
    });
  certificate.command('ca-key')
    .description("the public key of jumpgate's user CA (the gateway trusts it always; made on first use)")
    .action(async (_options, command: Command) => {
      await withRuntime(command, async (runtime) => {
        const publicKey = await createUserCa(runtime).publicKeyLine().catch((error: unknown) => {
          throw new Refused(`the user CA cannot be loaded: ${error instanceof Error ? error.message : String(error)}`);
        });
        print(formatOf(command), { publicKey }, () => `${publicKey}\n`);
      });
    });
}
