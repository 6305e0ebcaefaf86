/** The `jumpgate` command line: one file per command under commands/. */
import { Command, CommanderError, Option } from 'commander';
import { exitCodeFor } from './cli-errors.js';
import { printable } from '../log/printable.js';
import { registerInit } from './commands/init.js';
import { registerServe } from './commands/serve.js';
import { registerApply } from './commands/apply.js';
import { registerGet } from './commands/get.js';
import { registerDelete } from './commands/delete.js';
import { registerUser } from './commands/user.js';
import { registerTarget } from './commands/target.js';
import { registerPolicy } from './commands/policy.js';
import { registerAudit } from './commands/audit.js';
import { registerSessions } from './commands/sessions.js';
import { registerSshConfig } from './commands/ssh-config.js';
import { registerCredential, registerVault } from './commands/credential.js';
import { registerBans } from './commands/bans.js';
import { registerReplay } from './commands/replay.js';
import { registerDoctor } from './commands/doctor.js';
import { registerCa } from './commands/ca.js';
import { registerRole } from './commands/role.js';
import { registerNodes } from './commands/nodes.js';
import { registerRdpFile } from './commands/rdp-file.js';
import { registerToken } from './commands/token.js';
import { registerCertificate } from './commands/certificate.js';
import { registerLogin } from './commands/login.js';
import { registerRequest } from './commands/request.js';

export function buildProgram(): Command {
  const program = new Command('jumpgate')
    .description('jumpgate: an SSH bastion and jump server')
    .addOption(new Option('--data <dir>', 'data directory').env('JUMPGATE_DATA').default('./jumpgate-data'))
    .addOption(new Option('-o, --output <format>', 'output format for scripts: json or yaml'))
    .showHelpAfterError()
    .exitOverride();
  for (const register of [registerInit, registerServe, registerApply, registerGet, registerDelete, registerUser, registerTarget,
    registerPolicy, registerAudit, registerSessions, registerSshConfig, registerCredential, registerVault, registerBans, registerReplay, registerDoctor, registerCa,
    registerRole, registerNodes, registerRdpFile, registerToken, registerCertificate, registerLogin, registerRequest]) {
    register(program);
  }
  // Subcommands inherit the overrides so usage errors exit 2 everywhere.
  program.commands.forEach(function override(command: Command) {
    command.exitOverride();
    command.commands.forEach(override);
  });
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    // A command may report a refusal through the exit code without an error (policy check).
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; anything else commander rejects is bad usage.
      return error.exitCode === 0 ? 0 : 2;
    }
    const { code, message } = exitCodeFor(error);
    // Messages may quote what a target or a file said: shown, never acted on by the terminal.
    process.stderr.write(message.split('\n').map(printable).join('\n') + '\n');
    return code;
  }
}

// Everything jumpgate writes (store, audit log, recordings, keys) is for its own user only.
process.umask(0o077);
// A reader that stops early (`jumpgate audit | head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const code = await runCli(process.argv);
process.exitCode = code;
