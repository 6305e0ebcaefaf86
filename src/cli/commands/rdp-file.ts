import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { withRuntime, cliActor } from '../context.js';
import { Refused } from '../cli-errors.js';
import { issueRdpFile } from '../../rdp/issue-rdp-file.js';
import { localAddresses } from '../../inventory/special-addresses.js';

export function registerRdpFile(program: Command): void {
  program.command('rdp-file')
    .description('print an .rdp file whose gateway access token lets USER reach TARGET through the RD Gateway (valid rdp.tokenTTL, usable once)')
    .argument('<user>')
    .argument('<target>')
    .option('--file <file>', 'write the .rdp file here (0600) instead of printing it')
    .action(async (user: string, target: string, options: { file?: string }, command: Command) => {
      await withRuntime(command, async (runtime) => {
        // The operator's act: no second factor is asked of the user here (SPEC §11).
        const outcome = await issueRdpFile(runtime, localAddresses(), { user, target, actor: cliActor(), mfaVerified: true });
        if (!outcome.issued) throw new Refused(outcome.reason);
        if (options.file === undefined) {
          process.stdout.write(outcome.text);
          return;
        }
        // The file holds a bearer token: readable by its owner only.
        writeFileSync(options.file, outcome.text, { mode: 0o600 });
        process.stderr.write(`jumpgate: wrote ${options.file}; its token is valid until ${outcome.expiresAt} and can be used once\n`);
      });
    });
}
