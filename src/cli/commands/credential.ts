import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { withRuntime, cliActor, formatOf } from '../context.js';
import { Refused, UsageError } from '../cli-errors.js';
import { print } from '../output.js';
import { printable } from '../../log/printable.js';
import { createUpstream } from '../../main.js';
import { ms } from '../../config/load-settings.js';
import { rotateCredential } from '../../rotation/rotate-credential.js';
import { auditUpstreamFailure } from '../../gateway/direct-tcpip-channel.js';
import { credentialFromSecret } from '../../resources/credential-secret.js';
import { dataPath } from '../../config/load-settings.js';
import { RESOURCE_NAME } from '../../domain/resources.js';
import { reasonOf } from '../../runtime/file-errors.js';

export function registerCredential(program: Command): void {
  const credential = program.command('credential').description('secrets the gateway logs into hops and targets with');
  credential.command('set')
    .description('store a secret encrypted (from a file, or standard input)')
    .argument('<name>')
    .requiredOption('--type <type>', 'password | privateKey')
    .option('--from-file <file>', 'read the secret from this file (default: standard input)')
    .option('--passphrase-file <file>', 'passphrase of an encrypted private key')
    .action(async (name: string, options: { type: string; fromFile?: string; passphraseFile?: string }, command: Command) => {
      if (!RESOURCE_NAME.test(name)) throw new UsageError(`credential name ${name} must hold only letters, digits, ".", "_" or "-"`);
      if (options.type !== 'password' && options.type !== 'privateKey') throw new UsageError(`--type must be password or privateKey, not ${options.type}`);
      const read = (file: string | 0, what: string) => {
        try {
          return readFileSync(file);
        } catch (error) {
          throw new UsageError(`cannot read ${what}: ${reasonOf(error)}`);
        }
      };
      const secret = read(options.fromFile ?? 0, options.fromFile ?? 'standard input');
      const passphrase = options.passphraseFile ? read(options.passphraseFile, options.passphraseFile).toString('utf8').trim() : undefined;
      await withRuntime(command, async ({ stores, audit, vault: openVault }) => {
        const vault = openVault();
        let stored;
        try {
          stored = credentialFromSecret(vault, name, options.type as 'password' | 'privateKey', secret, passphrase);
        } catch (error) {
          throw new UsageError(`credential ${name}: ${(error as Error).message}`);
        }
        const existed = (await stores.credentials.get(name)) !== null;
        await audit.recordChange([{ type: 'config.change', user: cliActor(), src: null, action: existed ? 'update' : 'create', kind: 'Credential', name }],
          (changeAudit) => stores.applyChanges([{ op: 'put', resource: stored }], changeAudit));
        process.stdout.write(`credential/${name} ${existed ? 'updated' : 'created'}${stored.publicKey ? `; public key: ${stored.publicKey}` : ''}\n`);
      });
    });
  registerRotate(credential);
}

/** `credential rotate NAME`: see src/rotation/rotate-credential.ts. */
function registerRotate(credential: Command): void {
  credential.command('rotate')
    .description('a new key pair for a privateKey credential: installed on every target that uses it and verified before the old key is removed')
    .argument('<name>')
    .action(async (name: string, _options, command: Command) => {
      await withRuntime(command, async (runtime) => {
        const upstream = createUpstream(runtime);
        let result;
        try {
          result = await rotateCredential({
            stores: runtime.stores, audit: runtime.audit, vault: runtime.vault, upstream, actor: cliActor(),
            holder: `${runtime.node} pid ${process.pid}`, commandTimeoutMs: ms(runtime.settings.upstream.connectTimeout),
            report: (failed, failure) => auditUpstreamFailure(runtime, cliActor(), null, failed.name, failure),
          }, name);
        } finally {
          await upstream.closeAll();
        }
        if (!result.ok) {
          throw new Refused(result.target
            ? `credential ${name} not rotated: ${result.target}: ${printable(result.why)}`
            : printable(result.why));
        }
        print(formatOf(command), result, () => `credential/${name} rotated on ${result.targets.length} target(s)${result.targets.length ? ` (${result.targets.join(', ')})` : ''}: ${result.oldKey} -> ${result.newKey}\n`);
      });
    });
}

export function registerVault(program: Command): void {
  const vault = program.command('vault').description('the key that encrypts secrets at rest');
  vault.command('rotate')
    .description('re-encrypt every secret under a new vault key (a running gateway keeps working)')
    .action(async (_options, command: Command) => {
      const { rotateVault } = await import('../../vault/rotate-vault.js');
      await withRuntime(command, async ({ stores, audit, dataDir, settings, vault }) => {
        // The event first, naming the key being replaced: no rotation without its record.
        await audit.record({ type: 'config.change', user: cliActor(), src: null, action: 'update', kind: 'VaultKey', name: vault().currentKeyId });
        const result = await rotateVault(dataPath(dataDir, settings.vault.keyFile), stores);
        process.stdout.write(`vault key rotated: ${result.oldKey} -> ${result.newKey}; ${result.resealed} secret(s) re-encrypted\n`);
      });
    });
}
