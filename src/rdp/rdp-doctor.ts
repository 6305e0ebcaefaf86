/**
 * What `jumpgate doctor` says about the RD Gateway: when `rdp.listen` is set, its TLS pair
 * must be readable, belong together, be in date, and its key be private; a self-signed
 * certificate (what init writes) works but makes every client warn.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dataPath } from '../config/load-settings.js';
import type { Settings } from '../config/settings-schema.js';

export interface RdpFinding { level: 'ok' | 'warn' | 'fail'; what: string; fix?: string }

const SOON_MS = 30 * 86_400_000;

export function rdpFindings(dataDir: string, settings: Settings, now = new Date()): RdpFinding[] {
  if (!settings.rdp.listen) return [];
  const certFile = dataPath(dataDir, settings.rdp.tls.cert);
  const keyFile = dataPath(dataDir, settings.rdp.tls.key);
  let cert: X509Certificate;
  let key;
  try {
    cert = new X509Certificate(readFileSync(certFile));
    key = createPrivateKey(readFileSync(keyFile));
  } catch (error) {
    return [{ level: 'fail', what: `rdp.tls: cannot load ${certFile} and ${keyFile}: ${(error as Error).message}`, fix: 'run jumpgate init for a self-signed pair, or set rdp.tls to a PEM certificate and key' }];
  }
  const findings: RdpFinding[] = [];
  if (!cert.checkPrivateKey(key)) findings.push({ level: 'fail', what: `rdp.tls: ${keyFile} is not the key of ${certFile}`, fix: 'give the certificate\'s own key' });
  if ((statSync(keyFile).mode & 0o077) !== 0) findings.push({ level: 'fail', what: `rdp.tls key ${keyFile} is readable by others`, fix: `chmod 600 ${keyFile}` });
  const until = Date.parse(cert.validTo);
  if (until <= now.getTime()) findings.push({ level: 'fail', what: `the RD Gateway certificate expired on ${cert.validTo}`, fix: 'replace rdp.tls.cert' });
  else if (until - now.getTime() < SOON_MS) findings.push({ level: 'warn', what: `the RD Gateway certificate expires on ${cert.validTo}`, fix: 'replace rdp.tls.cert' });
  if (cert.issuer === cert.subject) findings.push({ level: 'warn', what: 'the RD Gateway certificate is self-signed: clients warn (or need /cert:ignore)', fix: 'set rdp.tls to a certificate your clients trust' });
  if (findings.length === 0) findings.push({ level: 'ok', what: 'the RD Gateway certificate and key load, match and are in date' });
  return findings;
}
