/**
 * A real OpenID Connect provider (the oidc-provider package, run by
 * test/e2e/clients/oidc-provider.mjs) on loopback over HTTPS, with a test CA that the
 * gateway and `jumpgate login` trust through NODE_EXTRA_CA_CERTS.
 */
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths.js';
import { freePort } from './ports.js';
import { spawnTracked, type TrackedProcess } from './processes.js';
import { issueCertificate, makeCertificateAuthority } from './tls-certs.js';
import { makeTempDir } from './tmp.js';

const SCRIPT = path.join(repoRoot, 'test', 'e2e', 'clients', 'oidc-provider.mjs');

export interface OidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The test CA's certificate (PEM file), for NODE_EXTRA_CA_CERTS. */
  caPath: string;
  /** Sets the accounts and their groups (read by the provider at every request). */
  setAccounts(accounts: Record<string, { groups: string[] }>): void;
  /** Makes the provider change the `state` it returns or the `nonce` it puts in the ID token (null: neither). */
  tamper(mode: 'state' | 'nonce' | null): void;
  process: TrackedProcess;
  stop(): Promise<void>;
}

export async function startOidcProvider(redirectOrigin: string, accounts: Record<string, { groups: string[] }>): Promise<OidcProvider> {
  const dir = makeTempDir('oidc');
  const ca = await makeCertificateAuthority(path.join(dir, 'ca'));
  const tls = await issueCertificate(ca, '127.0.0.1');
  const accountsFile = path.join(dir, 'accounts.json');
  const setAccounts = (value: Record<string, { groups: string[] }>) => fs.writeFileSync(accountsFile, JSON.stringify(value));
  setAccounts(accounts);
  const port = await freePort();
  const clientId = 'jumpgate';
  const clientSecret = 'test-client-secret-that-is-long-enough';
  const proc = spawnTracked(process.execPath, [SCRIPT, String(port), tls.certPath, tls.keyPath, accountsFile, clientId, clientSecret, redirectOrigin], { cwd: repoRoot });
  const deadline = Date.now() + 30_000;
  while (!proc.stdout().includes('ready ')) {
    if (!proc.isAlive() || Date.now() > deadline) {
      await proc.kill();
      throw new Error(`the OIDC provider did not start\nstdout:\n${proc.stdout()}\nstderr:\n${proc.stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    issuer: `https://127.0.0.1:${port}`, clientId, clientSecret, caPath: ca.certPath, setAccounts, process: proc,
    tamper: (mode) => fs.writeFileSync(`${accountsFile}.tamper`, mode ?? ''),
    stop: async () => { await proc.kill(); },
  };
}
