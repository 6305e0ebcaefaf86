/**
 * `jumpgate ca trust FILE`, `ca revoke FILE`, `ca list`: trusted user CA keys and revoked
 * keys. What `trust` and `revoke` add is kept in the store, so every node sharing it uses
 * them from the next login (SPEC §10); the files that `ssh.trustedUserCAKeys` and
 * `ssh.revokedKeys` name are read too, at each login when they change.
 * `ca target-key`: the public key of the CA that signs the gateway's own logins to
 * targets (SPEC §12).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { withRuntime, formatOf, cliActor } from '../context.js';
import { UsageError } from '../cli-errors.js';
import { print, table } from '../output.js';
import { printable } from '../../log/printable.js';
import { dataPath } from '../../config/load-settings.js';
import type { UserKeyEntry } from '../../store/store.js';
import { parseKeyLine } from '../../auth/revoked-keys.js';
import { keyFingerprint, parseCertificate } from '../../auth/openssh-certificate.js';
import { createTargetCa } from '../../main.js';

interface KeyEntry { line: string; blob: Buffer; fingerprint: string; note: string }

function readInput(file: string): string {
  try {
    return file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/**
 * The key lines of FILE. For `trust` each must be a plain public key; for `revoke` a
 * certificate stands for the key it certifies (that is what the gateway compares).
 */
function entriesOf(file: string, mode: 'trust' | 'revoke'): KeyEntry[] {
  const entries: KeyEntry[] = [];
  readInput(file).split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('-----BEGIN')) throw new UsageError(`${file} holds a private key; give the .pub file`);
    const parsed = parseKeyLine(line);
    if (!parsed.ok) throw new UsageError(`${file}:${index + 1}: ${parsed.reason}`);
    if (!parsed.certificate) {
      entries.push({ line, blob: parsed.blob, fingerprint: keyFingerprint(parsed.blob), note: parsed.comment });
      return;
    }
    if (mode === 'trust') throw new UsageError(`${file}:${index + 1}: a certificate, not a CA public key`);
    const cert = parseCertificate(parsed.blob);
    if (!cert.ok) throw new UsageError(`${file}:${index + 1}: ${cert.reason}`);
    // A certificate line revokes the key it certifies, so every certificate of that key.
    const { publicKey, keyId, serial } = cert.cert;
    entries.push({ line, blob: publicKey, fingerprint: keyFingerprint(publicKey), note: `the key of certificate "${keyId}" serial ${serial}` });
  });
  if (entries.length === 0) throw new UsageError(`${file} holds no public key`);
  return entries;
}

async function addKeys(command: Command, file: string, mode: 'trust' | 'revoke'): Promise<void> {
  const entries = entriesOf(file, mode);
  const list = mode === 'trust' ? 'trusted-ca' : 'revoked';
  await withRuntime(command, async ({ stores, audit }) => {
    const known = new Set((await stores.userKeys.list()).filter((e) => e.list === list).map((e) => e.key));
    const verb = mode === 'trust' ? 'trusted CA' : 'revoked';
    const already = mode === 'trust' ? 'already trusted' : 'already revoked';
    for (const [index, entry] of entries.entries()) {
      const key = entry.blob.toString('base64');
      const note = entry.note ? ` (${printable(entry.note)})` : '';
      if (known.has(key) || entries.findIndex((e) => e.blob.equals(entry.blob)) !== index) {
        process.stdout.write(`${already} ${entry.fingerprint}${note}\n`);
        continue;
      }
      // Recorded first: a key is trusted or revoked only once the trail holds it.
      await audit.record({
        type: 'config.change', user: cliActor(), src: null, action: 'update',
        kind: mode === 'trust' ? 'TrustedUserCAKey' : 'RevokedKey', name: entry.fingerprint,
      });
      const added = await stores.userKeys.add({ list, key, fingerprint: entry.fingerprint, line: entry.line, addedAt: new Date().toISOString(), addedBy: cliActor() });
      process.stdout.write(`${added ? verb : already} ${entry.fingerprint}${note}\n`);
    }
    process.stdout.write('in the store: every gateway node uses it from the next login\n');
  });
}

interface ListedKey { list: 'trustedUserCAKeys' | 'revokedKeys'; file: string; fingerprint: string; comment: string }

/** The store's entries, listed as the settings' lists they join. */
function storedKeys(entries: readonly UserKeyEntry[]): ListedKey[] {
  return entries.map((entry) => {
    const parsed = parseKeyLine(entry.line);
    return {
      list: entry.list === 'trusted-ca' ? 'trustedUserCAKeys' : 'revokedKeys', file: '(store)', fingerprint: entry.fingerprint,
      comment: parsed.ok ? parsed.comment : '',
    };
  });
}

function listFile(file: string, list: ListedKey['list']): ListedKey[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').flatMap((raw) => {
    const parsed = parseKeyLine(raw.trim());
    if (!parsed.ok || raw.trim().startsWith('#')) return [];
    const cert = parsed.certificate ? parseCertificate(parsed.blob) : null;
    const blob = cert?.ok ? cert.cert.publicKey : parsed.blob;
    return [{ list, file, fingerprint: keyFingerprint(blob), comment: parsed.comment }];
  });
}

export function registerCa(program: Command): void {
  const ca = program.command('ca').description("OpenSSH user certificates: trusted CA keys, revoked keys, and jumpgate's target CA");
  ca.command('trust')
    .description('trust a CA public key to sign user certificates (kept in the store, for every node; joins ssh.trustedUserCAKeys)')
    .argument('<file>', 'the CA public key file (.pub), or - for stdin')
    .action(async (file: string, _options, command: Command) => addKeys(command, file, 'trust'));
  ca.command('revoke')
    .description('revoke a public key, a certificate (its key) or a CA key (kept in the store, for every node; joins ssh.revokedKeys)')
    .argument('<file>', 'a public key or certificate file (.pub), or - for stdin')
    .action(async (file: string, _options, command: Command) => addKeys(command, file, 'revoke'));
  ca.command('target-key')
    .description("the public key of jumpgate's target CA, for TrustedUserCAKeys on targets with type: certificate credentials (made on first use)")
    .action(async (_options, command: Command) => {
      await withRuntime(command, async (runtime) => {
        const publicKey = await createTargetCa(runtime, cliActor()).publicKeyLine();
        print(formatOf(command), { publicKey }, () => `${publicKey}\n`);
      });
    });
  ca.command('list')
    .description('the trusted CA keys and the revoked keys')
    .action(async (_options, command: Command) => {
      await withRuntime(command, async ({ dataDir, settings, stores }) => {
        const rows = [
          ...settings.ssh.trustedUserCAKeys.flatMap((name) => listFile(dataPath(dataDir, name), 'trustedUserCAKeys')),
          ...(settings.ssh.revokedKeys ? listFile(dataPath(dataDir, settings.ssh.revokedKeys), 'revokedKeys') : []),
          ...storedKeys(await stores.userKeys.list()),
        ];
        print(formatOf(command), rows, () => rows.length === 0
          ? 'no trusted CA keys and no revoked keys\n'
          : table(['LIST', 'FINGERPRINT', 'FROM', 'COMMENT'], rows.map((r) => [r.list, r.fingerprint, r.file, r.comment])));
      });
    });
}
