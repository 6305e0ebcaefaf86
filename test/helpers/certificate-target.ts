import fs from 'node:fs';
import path from 'node:path';
import { runOk } from './processes.js';
import { startSshd, type Sshd, type SshdOptions } from './sshd.js';
import { makeTempDir } from './tmp.js';

/** An OpenSSH target that holds no authorized key and trusts only the CA in `caFile`. */
export interface CertificateTarget extends Sshd {
  /** The certificates sshd was offered, each once, in order (`type base64`). */
  certificates(): string[];
}

/**
 * sshd logs no principals or validity of a certificate, so an AuthorizedPrincipalsCommand
 * appends each offered certificate to a file and answers with the login (%u), which the
 * certificate must then list as a principal. The command runs as root from /bin/sh: sshd
 * refuses a script in a temp dir (its parents are world-writable).
 */
export async function startCertificateTarget(caFile: string, options: Omit<SshdOptions, 'authorizedKeys'> = {}): Promise<CertificateTarget> {
  const dir = makeTempDir('cert-target');
  const log = path.join(dir, 'certs.log');
  fs.writeFileSync(log, '');
  const sshd = await startSshd({
    ...options,
    authorizedKeys: [],
    extraConfig: [
      `TrustedUserCAKeys ${caFile}`,
      `AuthorizedPrincipalsCommand /bin/sh -c "echo '%t %k' >>${log}; echo %u"`,
      'AuthorizedPrincipalsCommandUser root',
      ...(options.extraConfig ?? []),
    ],
  });
  return {
    ...sshd,
    certificates: () => [...new Set(fs.readFileSync(log, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== ''))],
  };
}

export interface CertificateView { keyId: string; serial: string; validFrom: string; validTo: string; principals: string[]; extensions: string[]; signingCa: string }

/** What `ssh-keygen -L` says of a certificate line (times in UTC). */
export async function describeCertificate(line: string): Promise<CertificateView> {
  const file = path.join(makeTempDir('cert'), 'key-cert.pub');
  fs.writeFileSync(file, `${line}\n`);
  const { stdout } = await runOk('ssh-keygen', ['-L', '-f', file], { env: { ...process.env, TZ: 'UTC' } });
  const field = (name: string) => new RegExp(`^\\s*${name}: (.*)$`, 'm').exec(stdout)?.[1] ?? '';
  const list = (name: string) => {
    const lines = stdout.split('\n');
    const start = lines.findIndex((l) => l.trim().startsWith(`${name}:`));
    const values: string[] = [];
    for (let i = start + 1; start >= 0 && i < lines.length && /^\s{9,}\S/.test(lines[i]); i++) values.push(lines[i].trim());
    return values;
  };
  const valid = /from (\S+) to (\S+)/.exec(field('Valid'));
  return {
    keyId: field('Key ID').replace(/^"|"$/g, ''), serial: field('Serial'), validFrom: valid?.[1] ?? '', validTo: valid?.[2] ?? '',
    principals: list('Principals'), extensions: list('Extensions'), signingCa: field('Signing CA'),
  };
}
