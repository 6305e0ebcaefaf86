/**
 * The README's first steps work as written. Its shell blocks are read from README.md and
 * run verbatim (apart from the install block: Node.js, the clone, `npm ci`), in a network
 * and mount namespace of their own: this machine's sshd as the first target on 127.0.0.1:22
 * of that namespace, a private home directory standing in for the person's, and `jumpgate`
 * on PATH as `npm link` puts it there. A person answers "yes" to new host keys; here the
 * home directory's ssh config does.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { cleanupAll } from '../helpers/cleanup.js';
import { jumpgateBin, repoRoot, sshdBin } from '../helpers/paths.js';
import { spawnTracked } from '../helpers/processes.js';
import { makeTempDir } from '../helpers/tmp.js';

/** The ```sh blocks of the README's first steps, in order. */
function firstStepsBlocks(): string[] {
  const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## First steps');
  assert.notEqual(start, -1, 'README.md has no "## First steps" section');
  const end = readme.indexOf('\n## ', start + 1);
  const sectionText = readme.slice(start, end === -1 ? undefined : end);
  return [...sectionText.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

after(async () => {
  await cleanupAll();
}, { timeout: 30_000 });

test('the README first steps take a newcomer to ssh -J, a proxied session and scp, as written', { timeout: 120_000 }, async () => {
  assert.equal(process.getuid?.(), 0, 'this test needs root: it runs the README in a network and mount namespace (unshare)');
  const [install, start, setUp, connect] = firstStepsBlocks();
  assert.ok(install.includes('deb.nodesource.com/setup_20.x'), 'the install block names how to get Node.js 20');
  assert.ok(start.includes('npm ci') && start.includes('sudo npm link'), `the second block installs and links jumpgate:\n${start}`);
  assert.match(start, /^jumpgate serve\b/m, 'the second block starts the gateway by name');
  const connectLines = connect.split('\n').filter((line) => line.trim() !== '');
  const [jump, proxied, scp, audit] = connectLines;
  assert.match(jump, /^ssh -J /);
  assert.match(proxied, /^ssh -p 2222 /);
  assert.match(scp, /^scp /);
  assert.match(audit, /^jumpgate audit\b/);

  const work = makeTempDir('readme');
  const home = path.join(work, 'home');
  const bin = path.join(work, 'bin');
  fs.mkdirSync(home, { mode: 0o700 });
  fs.mkdirSync(bin);
  // What `sudo npm link` leaves on PATH: the launcher of this checkout, by name.
  fs.symlinkSync(jumpgateBin, path.join(bin, 'jumpgate'));
  // The clone: the person's own directory named jumpgate (the data dir is made in it).
  fs.mkdirSync(path.join(work, 'jumpgate'));
  const serveLog = path.join(work, 'serve.log');

  const script = `
set -u
# The gateway stops on SIGTERM, as it would with Ctrl-C in the first terminal.
trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT
ip link set lo up
mount --bind ${quote(home)} /root
export HOME=/root USER=root PATH=${quote(bin)}:$PATH
mkdir -p /run/sshd
${sshdBin} -D -e -o PidFile=none >/dev/null 2>${quote(path.join(work, 'sshd.log'))} &
cd ${quote(path.join(work, 'jumpgate'))}
jumpgate serve >/dev/null 2>${quote(serveLog)} &
for i in $(seq 100); do grep -q 'ssh listening' ${quote(serveLog)} && break; sleep 0.2; done
cd ${quote(work)}
# ---- the second terminal, as the README writes it
${setUp}
# ---- connecting
printf 'StrictHostKeyChecking accept-new\\nBatchMode yes\\n' > ~/.ssh/config
# (each on its own line: the README's lines end in comments)
echo 'echo JUMPED-$((6 * 7))' | ${jump}
echo "jump exit $?"
echo 'echo PROXIED-$((6 * 7))' | ${proxied}
echo "proxied exit $?"
${scp}
echo "scp exit $?"
cmp first.yaml ~/copy.yaml && echo 'copy identical'
${audit}
echo "audit exit $?"
`;
  const run = spawnTracked('unshare', ['--net', '--mount', '--propagation', 'private', 'bash', '-c', script], { cwd: work, timeoutMs: 100_000 });
  const r = await run.exited;
  const shown = `exit ${r.code}\n--- output ---\n${r.stdout}\n--- errors ---\n${r.stderr}\n--- serve ---\n${fs.existsSync(serveLog) ? fs.readFileSync(serveLog, 'utf8') : ''}`;
  assert.match(r.stdout, /^JUMPED-42$/m, shown);
  assert.match(r.stdout, /^jump exit 0$/m, shown);
  assert.match(r.stdout, /^PROXIED-42$/m, shown);
  assert.match(r.stdout, /^proxied exit 0$/m, shown);
  assert.match(r.stdout, /^scp exit 0$/m, shown);
  assert.match(r.stdout, /^copy identical$/m, shown);
  assert.match(r.stdout, /^audit exit 0$/m, shown);
  assert.match(r.stdout, /session\.start +me .* kind=jump target=here/, shown);
  assert.match(r.stdout, /session\.start +me .* kind=session target=here login=root/, shown);
  assert.match(r.stdout, /file\.transfer +me .* operation=upload path=copy\.yaml bytes=\d+/, shown);
});
