import fs from 'node:fs';
import path from 'node:path';
import { runOk } from './processes.js';

/**
 * Test certificates made with the openssl command line (Debian package
 * `openssl`): a throw-away certificate authority and leaf certificates it
 * signs, for TLS receivers and clients on loopback. Keys are RSA 2048 and
 * unencrypted; everything is valid for two days.
 */
export interface CertificateAuthority {
  /** The CA certificate (PEM): what a client pins. */
  certPath: string;
  keyPath: string;
  /** Where the CA's files and the certificates it issues live. */
  dir: string;
}

export interface IssuedCertificate {
  certPath: string;
  keyPath: string;
}

export interface IssueOptions {
  /** subjectAltName IP addresses (default 127.0.0.1 for servers, none for clients). */
  ips?: string[];
  /** subjectAltName DNS names (default localhost for servers, none for clients). */
  dnsNames?: string[];
  /** serverAuth or clientAuth extended key usage. Default server. */
  usage?: 'server' | 'client';
}

const OPENSSL = 'openssl';
const DAYS = '2';

/** A fresh CA (self-signed, basicConstraints CA:TRUE) in `dir`, its files named `<name>.pem` and `<name>.key`. */
export async function makeCertificateAuthority(dir: string, name = 'test-ca'): Promise<CertificateAuthority> {
  fs.mkdirSync(dir, { recursive: true });
  const certPath = path.join(dir, `${name}.pem`);
  const keyPath = path.join(dir, `${name}.key`);
  const extFile = path.join(dir, `${name}.ca-ext.cnf`);
  fs.writeFileSync(
    extFile,
    [
      '[req]',
      'distinguished_name = dn',
      'x509_extensions = v3_ca',
      'prompt = no',
      '[dn]',
      `CN = ${name}`,
      '[v3_ca]',
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      '',
    ].join('\n'),
  );
  await runOk(OPENSSL, [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', DAYS,
    '-keyout', keyPath, '-out', certPath, '-config', extFile,
  ]);
  return { certPath, keyPath, dir };
}

/** A leaf certificate for `commonName`, signed by `ca`, written beside the CA's files. */
export async function issueCertificate(ca: CertificateAuthority, commonName: string, options: IssueOptions = {}): Promise<IssuedCertificate> {
  const usage = options.usage ?? 'server';
  const ips = options.ips ?? (usage === 'server' ? ['127.0.0.1'] : []);
  const dnsNames = options.dnsNames ?? (usage === 'server' ? ['localhost'] : []);
  const base = path.join(ca.dir, commonName.replace(/[^A-Za-z0-9_.-]/g, '_'));
  const keyPath = `${base}.key`;
  const csrPath = `${base}.csr`;
  const certPath = `${base}.pem`;
  const extPath = `${base}.ext.cnf`;
  const altNames = [...ips.map((ip) => `IP:${ip}`), ...dnsNames.map((dns) => `DNS:${dns}`)];
  fs.writeFileSync(
    extPath,
    [
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      `extendedKeyUsage = ${usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
      ...(altNames.length > 0 ? [`subjectAltName = ${altNames.join(', ')}`] : []),
      '',
    ].join('\n'),
  );
  await runOk(OPENSSL, ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-keyout', keyPath, '-out', csrPath, '-subj', `/CN=${commonName}`]);
  await runOk(OPENSSL, [
    'x509', '-req', '-sha256', '-days', DAYS, '-in', csrPath, '-CA', ca.certPath, '-CAkey', ca.keyPath,
    '-CAcreateserial', '-out', certPath, '-extfile', extPath,
  ]);
  return { certPath, keyPath };
}
