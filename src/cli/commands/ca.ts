/**
 * `jumpgate ca trust FILE`, `ca revoke FILE`, `ca list`: the key list files behind
 * `ssh.trustedUserCAKeys` and `ssh.revokedKeys`. When the setting is still empty, the
 * file is created in the data dir and named in jumpgate.yaml (comments kept); the
 * gateway reads settings at start, key list files at each login. `ca target-key`: the
 * public key of the CA that signs the gateway's own logins to targets (SPEC §12).
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { isScalar, isSeq, parseDocument } from 'yaml';
import { withRuntime, formatOf, cliActor } from '../context.js';
import { UsageError } from '../cli-errors.js';
import { print, table } from '../output.js';
import { printable } from '../../log/printable.js';
import { dataPath, parseSettings, SETTINGS_FILE } from '../../config/load-settings.js';
import type { Settings } from '../../config/settings-schema.js';
import { parseKeyLine, readKeyListFile, type KeyList } from '../../auth/revoked-keys.js';
import { keyFingerprint, parseCertificate } from '../../auth/openssh-certificate.js';
import { createTargetCa } from '../../main.js';

/** Where new CA keys and revoked keys go when the settings name no file yet. */
const DEFAULT_FILES = { trust: 'user_ca_keys', revoke: 'revoked_keys' } as const;

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

/** The file a `trust` or `revoke` writes to, naming it in jumpgate.yaml first when needed. */
function targetFile(dataDir: string, settings: Settings, mode: 'trust' | 'revoke'): { file: string; settingsChanged: boolean } {
  const current = mode === 'trust' ? settings.ssh.trustedUserCAKeys[0] : settings.ssh.revokedKeys;
  if (current) return { file: dataPath(dataDir, current), settingsChanged: false };
  const name = DEFAULT_FILES[mode];
  const settingsFile = path.join(dataDir, SETTINGS_FILE);
  const doc = parseDocument(readFileSync(settingsFile, 'utf8'));
  // Edit the nodes init wrote in place, so their comments stay.
  const keyPath = ['ssh', mode === 'trust' ? 'trustedUserCAKeys' : 'revokedKeys'];
  const node = doc.getIn(keyPath, true);
  if (mode === 'trust' && isSeq(node)) node.add(doc.createNode(name));
  else if (mode === 'revoke' && isScalar(node)) node.value = name;
  else doc.setIn(keyPath, mode === 'trust' ? doc.createNode([name], { flow: true }) : name);
  const text = String(doc);
  parseSettings(text, settingsFile); // never write settings the gateway would refuse
  writeFileSync(settingsFile, text, { mode: 0o600 });
  return { file: dataPath(dataDir, name), settingsChanged: true };
}

function existingKeys(file: string, mode: 'trust' | 'revoke'): KeyList | null {
  if (!existsSync(file)) return null;
  const read = readKeyListFile(file, mode === 'trust' ? 'refuse' : 'certified-key');
  if (!read.ok) throw new UsageError(read.error);
  return read.keys;
}

async function addKeys(command: Command, file: string, mode: 'trust' | 'revoke'): Promise<void> {
  const entries = entriesOf(file, mode);
  await withRuntime(command, async ({ dataDir, settings, audit }) => {
    const target = targetFile(dataDir, settings, mode);
    const known = existingKeys(target.file, mode);
    const added = entries.filter((entry, index) => !known?.has(entry.blob) && entries.findIndex((e) => e.blob.equals(entry.blob)) === index);
    for (const entry of added) {
      // Recorded first: a key is trusted or revoked only once the trail holds it.
      await audit.record({
        type: 'config.change', user: cliActor(), src: null, action: 'update',
        kind: mode === 'trust' ? 'TrustedUserCAKey' : 'RevokedKey', name: entry.fingerprint,
      });
    }
    if (added.length > 0) {
      const before = existsSync(target.file) ? readFileSync(target.file, 'utf8') : '';
      const separator = before === '' || before.endsWith('\n') ? '' : '\n';
      appendFileSync(target.file, separator + added.map((e) => `${e.line}\n`).join(''), { mode: 0o600 });
    }
    const verb = mode === 'trust' ? 'trusted CA' : 'revoked';
    for (const entry of entries) {
      const isNew = added.includes(entry);
      process.stdout.write(`${isNew ? verb : `already ${mode === 'trust' ? 'trusted' : 'revoked'}`} ${entry.fingerprint}${entry.note ? ` (${printable(entry.note)})` : ''}\n`);
    }
    process.stdout.write(`in ${target.file}\n`);
    if (target.settingsChanged) {
      const key = mode === 'trust' ? 'ssh.trustedUserCAKeys' : 'ssh.revokedKeys';
      process.stdout.write(`${key} in ${SETTINGS_FILE} now names it: restart the gateway to use it\n`);
    }
  });
}

interface ListedKey { list: 'trustedUserCAKeys' | 'revokedKeys'; file: string; fingerprint: string; comment: string }

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
    .description('trust a CA public key to sign user certificates (appends to the first ssh.trustedUserCAKeys file)')
    .argument('<file>', 'the CA public key file (.pub), or - for stdin')
    .action(async (file: string, _options, command: Command) => addKeys(command, file, 'trust'));
  ca.command('revoke')
    .description('revoke a public key, a certificate (its key) or a CA key (appends to the ssh.revokedKeys file)')
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
      await withRuntime(command, async ({ dataDir, settings }) => {
        const rows = [
          ...settings.ssh.trustedUserCAKeys.flatMap((name) => listFile(dataPath(dataDir, name), 'trustedUserCAKeys')),
          ...(settings.ssh.revokedKeys ? listFile(dataPath(dataDir, settings.ssh.revokedKeys), 'revokedKeys') : []),
        ];
        print(formatOf(command), rows, () => rows.length === 0
          ? 'no trusted CA keys and no revoked keys\n'
          : table(['LIST', 'FINGERPRINT', 'COMMENT'], rows.map((r) => [r.list, r.fingerprint, r.comment])));
      });
    });
}
