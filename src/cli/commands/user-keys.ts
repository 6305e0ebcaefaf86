/** The public keys behind `user add --key` and `user set --add-key`, read with plain-spoken refusals. */
import { existsSync, readFileSync } from 'node:fs';
import { UsageError } from '../cli-errors.js';
import { reasonOf } from '../../runtime/file-errors.js';
import { isOpenSshPublicKey } from '../../domain/ssh-public-key.js';

/** A key file is small; anything bigger is not what the operator meant to pass. */
const MAX_KEY_FILE = 256 * 1024;
const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/** The key lines of each file: one refusal per file, naming it and what is wrong. */
export function readPublicKeys(files: readonly string[], flag: string): string[] {
  return files.flatMap((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`${flag} ${file}: cannot read it: ${reasonOf(error)}`);
    }
    if (text.length > MAX_KEY_FILE) throw new UsageError(`${flag} ${file}: too large for a public key file`);
    if (PRIVATE_KEY.test(text)) {
      // The private half never leaves the person's machine: say so, and name the file to use.
      const hint = existsSync(`${file}.pub`) ? `use ${flag} ${file}.pub` : `print it with: ssh-keygen -y -f ${file}`;
      throw new UsageError(`${flag} ${file} is a private key; give its public half instead (${hint})`);
    }
    const lines = text.split('\n').map((line) => line.trim());
    const keys: string[] = [];
    for (const [index, line] of lines.entries()) {
      if (line === '' || line.startsWith('#')) continue;
      if (!isOpenSshPublicKey(line)) throw new UsageError(`${flag} ${file}: line ${index + 1} is not an OpenSSH public key (type, base64, optional comment)`);
      keys.push(line);
    }
    if (keys.length === 0) throw new UsageError(`${flag} ${file} holds no public key`);
    return keys;
  });
}
