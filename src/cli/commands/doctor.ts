/** `jumpgate doctor`: checks the data dir, permissions, settings, the native crypto binding and the hardening. */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Command } from 'commander';
import { dataDirOf } from '../context.js';
import { loadSettings, dataPath, SETTINGS_FILE } from '../../config/load-settings.js';
import type { Settings } from '../../config/settings-schema.js';
import { openStores, StoreOpenError } from '../../store/open-stores.js';
import { redactStoreUrl } from '../../store/store-url.js';
import { certificateTrustProblems } from '../../auth/revoked-keys.js';
import { referenceFindings, vaultFindings } from './doctor-store.js';
import { rootFindings } from './doctor-root.js';
import type { Finding } from './doctor-finding.js';
import { rdpFindings } from '../../rdp/rdp-doctor.js';

function modeOf(file: string): number | null {
  return existsSync(file) ? statSync(file).mode & 0o777 : null;
}

/** `shown` is the path as the settings name it; `file` the one on disk. */
function checkPrivate(findings: Finding[], file: string, what: string, shown: string): void {
  const mode = modeOf(file);
  if (mode === null) findings.push({ level: 'fail', what: `${what} ${shown} is missing`, fix: 'run: jumpgate init' });
  else if (mode & 0o077) findings.push({ level: 'fail', what: `${what} ${shown} is readable by others (mode ${mode.toString(8)})`, fix: `chmod 600 ${file}` });
  else findings.push({ level: 'ok', what: `${what} ${shown} is private (${mode.toString(8)})` });
}

function hardening(settings: Settings): Finding[] {
  const findings: Finding[] = [];
  const methods = settings.ssh.authMethods;
  findings.push(methods.length === 1 && methods[0] === 'publickey'
    ? { level: 'ok', what: 'only public-key authentication is allowed' }
    : { level: 'warn', what: `authentication methods ${methods.join(', ')} are allowed`, fix: 'require a TOTP second factor (mfa: true) on rules, or keep ssh.authMethods at [publickey]' });
  if (settings.ssh.listen.some((l) => l.endsWith(':22'))) findings.push({ level: 'warn', what: 'the gateway listens on port 22', fix: 'a non-default port (ssh.listen) cuts background scanning noise' });
  if (settings.allowFrom.length === 0) findings.push({ level: 'warn', what: 'any source address may connect (allowFrom is empty)', fix: 'list your networks in allowFrom' });
  if (settings.bans.maxAuthFailures > 10) findings.push({ level: 'warn', what: `bans start only after ${settings.bans.maxAuthFailures} failures`, fix: 'bans.maxAuthFailures: 5' });
  if (settings.http.listen && !/^(127\.|\[::1\]|localhost)/.test(settings.http.listen)) findings.push({ level: 'warn', what: `the admin HTTP listener is on ${settings.http.listen}`, fix: 'keep http.listen on loopback' });
  return findings;
}

export function registerDoctor(program: Command): void {
  program.command('doctor')
    .description('check the data dir, permissions, settings, the native crypto binding and the hardening; say what to fix')
    .action(async (_options, command: Command) => {
      const dataDir = dataDirOf(command);
      const findings: Finding[] = [];
      const dirMode = modeOf(dataDir);
      if (dirMode === null) {
        findings.push({ level: 'fail', what: `no data dir at ${dataDir}`, fix: `jumpgate init --data ${dataDir}` });
      } else {
        findings.push(dirMode & 0o077 ? { level: 'warn', what: `data dir is open to others (mode ${dirMode.toString(8)})`, fix: `chmod 700 ${dataDir}` } : { level: 'ok', what: 'data dir is private' });
        let settings: Settings | null = null;
        try {
          settings = loadSettings(dataDir);
          findings.push({ level: 'ok', what: `${SETTINGS_FILE} is valid` });
        } catch (error) {
          findings.push({ level: 'fail', what: (error as Error).message, fix: `correct ${path.join(dataDir, SETTINGS_FILE)}` });
        }
        if (settings) {
          for (const key of settings.ssh.hostKeys) checkPrivate(findings, dataPath(dataDir, key), 'host key', key);
          if (settings.store.startsWith('sqlite:')) checkPrivate(findings, dataPath(dataDir, settings.store.slice('sqlite:'.length)), 'store', settings.store.slice('sqlite:'.length));
          checkPrivate(findings, dataPath(dataDir, settings.audit.file), 'audit log', settings.audit.file);
          const vaultKey = dataPath(dataDir, settings.vault.keyFile);
          if (!process.env.JUMPGATE_VAULT_KEY && existsSync(vaultKey)) checkPrivate(findings, vaultKey, 'vault key', settings.vault.keyFile);
          try {
            const stores = await openStores(settings.store, dataDir);
            try {
              await stores.users.list();
              findings.push({ level: 'ok', what: `store ${redactStoreUrl(settings.store)} opens` });
              findings.push(...await vaultFindings(stores, vaultKey), ...await referenceFindings(stores));
            } finally {
              await stores.close();
            }
          } catch (error) {
            findings.push({ level: 'fail', what: error instanceof StoreOpenError ? error.message : `store: ${(error as Error).message}` });
          }
          for (const problem of certificateTrustProblems(dataDir, settings.ssh)) findings.push({ level: 'fail', what: problem, fix: 'correct ssh.trustedUserCAKeys / ssh.revokedKeys' });
          findings.push(...rdpFindings(dataDir, settings));
          findings.push(...hardening(settings), ...rootFindings(dataDir));
        }
      }
      const require = createRequire(import.meta.url);
      const crypto = require('ssh2/lib/protocol/crypto.js') as { bindingAvailable?: boolean };
      findings.push(crypto.bindingAvailable
        ? { level: 'ok', what: 'ssh2 native crypto binding is loaded' }
        : { level: 'warn', what: 'ssh2 native crypto binding is missing: throughput drops to about 0.4x', fix: 'install a C++ toolchain (g++, make, python3) and run npm ci again' });

      for (const finding of findings) {
        process.stdout.write(`${finding.level.padEnd(4)}  ${finding.what}${finding.fix ? `\n      fix: ${finding.fix}` : ''}\n`);
      }
      if (findings.some((f) => f.level === 'fail')) process.exitCode = 1;
    });
}
