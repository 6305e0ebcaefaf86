#!/usr/bin/env node
// Makes sure the programs the end-to-end tests drive are installed: a real sshd
// as a target and the stock ssh client, tmux for interactive sessions, iproute2
// for network namespaces, rsyslog (with its TLS driver) as a SIEM receiver and
// openssl for the receiver's test certificates; other SSH clients than OpenSSH
// (Dropbear's dbclient, PuTTY's plink, Python's paramiko from Debian) for the
// hostile-client and interoperability tests; the PostgreSQL server, of which the
// store tests start a private cluster (test/helpers/postgres.ts), never the system's;
// HAProxy, the TCP load balancer in front of several gateway nodes (test/helpers/haproxy.ts).
// Chromium for the web console's browser tests.
// As root (CI containers) missing packages are installed with apt-get;
// otherwise this says what to install and exits 1.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A program (absolute path, or a name looked up on PATH) and the Debian package that brings it. */
const REQUIRED = [
  ['/usr/sbin/sshd', 'openssh-server'],
  ['ssh', 'openssh-client'], ['ssh-keygen', 'openssh-client'], ['scp', 'openssh-client'], ['sftp', 'openssh-client'],
  // The user's own agent (ssh -A) in the agent-forwarding tests.
  ['ssh-agent', 'openssh-client'], ['ssh-add', 'openssh-client'],
  // Targets whose login's home is a private, possibly read-only, mount (credential rotation).
  ['unshare', 'util-linux'], ['mount', 'mount'],
  ['tmux', 'tmux'],
  ['ip', 'iproute2'], ['ss', 'iproute2'],
  ['/usr/sbin/rsyslogd', 'rsyslog'],
  // rsyslog's GnuTLS driver: its OpenSSL one drops some TLS 1.3 sessions right after the handshake.
  ['/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so', 'rsyslog-gnutls'],
  ['openssl', 'openssl'],
  ['dbclient', 'dropbear-bin'],
  ['plink', 'putty-tools'], ['puttygen', 'putty-tools'],
  // Debian's own Python with paramiko (by absolute path: another python3 may come first on PATH).
  ['/usr/lib/python3/dist-packages/paramiko/__init__.py', 'python3-paramiko'],
  // Any major version: its bin directory is named after it. Installing starts no cluster here
  // (containers have no init system), and the tests never use the package's own.
  ['/usr/lib/postgresql/*/bin/initdb', 'postgresql'],
  // Installing starts nothing here; the tests run their own from a config of their own.
  ['/usr/sbin/haproxy', 'haproxy'],
  // The RD Gateway tests: xrdp as the target, FreeRDP 2 as the client on an Xvfb display,
  // ImageMagick to look at what the client shows.
  ['/usr/sbin/xrdp', 'xrdp'], ['xfreerdp', 'freerdp2-x11'], ['Xvfb', 'xvfb'], ['import', 'imagemagick'], ['convert', 'imagemagick'],
  // Debian's Chromium, driven headless by playwright-core in the web console's browser tests
  // (playwright-core never downloads a browser of its own).
  ['/usr/bin/chromium', 'chromium'],
];

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(program) {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  return dirs.some((dir) => isExecutable(path.join(dir, program)));
}

function present(program) {
  if (!path.isAbsolute(program)) return onPath(program);
  if (program.includes('/*/')) {
    const [base, rest] = program.split('/*/');
    return fs.existsSync(base) && fs.readdirSync(base).some((version) => isExecutable(path.join(base, version, rest)));
  }
  // Plugins (rsyslog's TLS driver) are files, not programs; their directory depends on the architecture.
  if (program.endsWith('.so')) return fs.existsSync(program) || fs.existsSync(program.replace('x86_64-linux-gnu', 'aarch64-linux-gnu'));
  if (program.endsWith('.py')) return fs.existsSync(program);
  return isExecutable(program);
}

function missingPrograms() {
  return REQUIRED.filter(([program]) => !present(program));
}

function runVisible(command, args, env = process.env) {
  console.error(`ensure-test-deps: ${command} ${args.join(' ')}`);
  const r = spawnSync(command, args, { stdio: 'inherit', env });
  if (r.error) {
    console.error(`ensure-test-deps: could not run ${command}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) {
    console.error(`ensure-test-deps: ${command} exited ${r.status ?? r.signal}`);
    process.exit(1);
  }
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
let missing = missingPrograms();

if (missing.length > 0) {
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  const programs = missing.map(([program]) => program).join(', ');
  if (!isRoot) {
    console.error(
      `ensure-test-deps: the end-to-end tests need programs that are missing: ${programs}\n` +
        `Install the Debian/Ubuntu packages ${packages.join(', ')}, for example:\n` +
        `  sudo apt-get install -y ${packages.join(' ')}`,
    );
    process.exit(1);
  }
  console.error(`ensure-test-deps: missing ${programs}; installing ${packages.join(' ')}`);
  runVisible('apt-get', ['update']);
  runVisible('apt-get', ['install', '-y', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=240', ...packages], { ...process.env, DEBIAN_FRONTEND: 'noninteractive' });
  missing = missingPrograms();
  if (missing.length > 0) {
    console.error(`ensure-test-deps: still missing after install: ${missing.map(([program]) => program).join(', ')}`);
    process.exit(1);
  }
}

if (isRoot) {
  // sshd started as root refuses to run without its privilege separation dir,
  // which containers often lack because no init system created it.
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
}

// A second, newer OpenSSH client for the post-quantum end-to-end test
// (test/e2e/post-quantum.test.ts): OpenSSH 10 offers mlkem768x25519-sha256,
// Debian bookworm's 9.2 does not. The openssh-client package of the release's
// backports suite is fetched with a private apt configuration (its own sources
// list, package lists and cache, on the mirror the system already uses) and
// unpacked with dpkg-deb -x into node_modules/.cache/openssh-backports; the
// system's OpenSSH and apt configuration are left alone. A failure here does
// not stop the other tests: it is written to status.json, and that test fails
// with the reason.
const NEW_KEX = 'mlkem768x25519-sha256';
const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const pqDir = path.join(repoRoot, 'node_modules', '.cache', 'openssh-backports');
const pqSsh = path.join(pqDir, 'root', 'usr', 'bin', 'ssh');
const pqStatusFile = path.join(pqDir, 'status.json');

function capture(command, args) {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.error) return { ok: false, out: r.error.message };
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/** The version line of an ssh binary that offers NEW_KEX, or an Error saying why not. */
function checkNewSsh(ssh) {
  if (!isExecutable(ssh)) return new Error(`${ssh} is not there`);
  const version = capture(ssh, ['-V']);
  if (!version.ok) return new Error(`${ssh} -V failed: ${version.out}`);
  const kex = capture(ssh, ['-Q', 'kex']);
  if (!kex.ok || !kex.out.split('\n').includes(NEW_KEX)) {
    return new Error(`${version.out} does not offer ${NEW_KEX}`);
  }
  return version.out;
}

function osCodename() {
  try {
    const m = /^VERSION_CODENAME=(.+)$/m.exec(fs.readFileSync('/etc/os-release', 'utf8'));
    return m ? m[1].replace(/^"|"$/g, '') : undefined;
  } catch {
    return undefined;
  }
}

/** The first "deb" source of the system serving `suite`: {uri, signedBy?}. */
function systemMirror(suite) {
  const entries = [];
  const files = [];
  if (fs.existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  const partsDir = '/etc/apt/sources.list.d';
  if (fs.existsSync(partsDir)) {
    for (const name of fs.readdirSync(partsDir).sort()) files.push(path.join(partsDir, name));
  }
  for (const file of files) {
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const fields = {};
        let last;
        for (const line of stanza.split('\n')) {
          if (line.startsWith('#')) continue;
          const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
          if (m) fields[(last = m[1].toLowerCase())] = m[2].trim();
          else if (last && /^\s/.test(line)) fields[last] += ` ${line.trim()}`;
        }
        if (/^no$/i.test(fields.enabled ?? '')) continue;
        const words = (key) => (fields[key] ?? '').split(/\s+/).filter(Boolean);
        if (!words('types').includes('deb') || !words('suites').includes(suite)) continue;
        for (const uri of words('uris')) entries.push({ uri, signedBy: fields['signed-by'] });
      }
    } else if (file.endsWith('.list') || file === '/etc/apt/sources.list') {
      for (const raw of text.split('\n')) {
        const line = raw.replace(/#.*/, '').trim();
        const m = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)/.exec(line);
        if (!m || m[3] !== suite) continue;
        const signedBy = /(?:^|\s)signed-by=(\S+)/.exec(m[1] ?? '')?.[1];
        entries.push({ uri: m[2], signedBy });
      }
    }
  }
  return entries.find((e) => /^https?:\/\//.test(e.uri) && !(e.signedBy ?? '').includes('\n'));
}

function fetchNewSsh() {
  const codename = osCodename();
  if (!codename) throw new Error('no VERSION_CODENAME in /etc/os-release: not a Debian-like system');
  for (const tool of ['apt-get', 'dpkg-deb']) {
    if (!onPath(tool)) throw new Error(`${tool} is not installed: not a Debian-like system`);
  }
  const mirror = systemMirror(codename);
  if (!mirror) throw new Error(`no apt source for the suite ${codename} in /etc/apt/sources.list(.d) to take the mirror from`);
  const suite = `${codename}-backports`;
  const aptDir = path.join(pqDir, 'apt');
  for (const sub of ['lists/partial', 'archives/partial', 'cache', 'debs']) {
    fs.mkdirSync(path.join(aptDir, sub), { recursive: true });
  }
  const defaultKeyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
  const signedBy = mirror.signedBy ?? (fs.existsSync(defaultKeyring) ? defaultKeyring : undefined);
  const sourcesList = path.join(aptDir, 'sources.list');
  fs.writeFileSync(sourcesList, `deb ${signedBy ? `[signed-by=${signedBy}] ` : ''}${mirror.uri} ${suite} main\n`);
  const aptOptions = [
    '-o', `Dir::Etc::SourceList=${sourcesList}`,
    '-o', 'Dir::Etc::SourceParts=/dev/null',
    '-o', `Dir::State::Lists=${path.join(aptDir, 'lists')}`,
    '-o', `Dir::Cache=${path.join(aptDir, 'cache')}`,
    '-o', `Dir::Cache::Archives=${path.join(aptDir, 'archives')}`,
    '-o', 'APT::Sandbox::User=root',
    '-q',
  ];
  const apt = (args, cwd) => {
    console.error(`ensure-test-deps: apt-get ${args.join(' ')} (private apt configuration)`);
    const r = spawnSync('apt-get', [...aptOptions, ...args], { stdio: ['ignore', 'inherit', 'inherit'], cwd });
    if (r.error) throw new Error(`could not run apt-get: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} exited ${r.status ?? r.signal} (source: ${mirror.uri} ${suite} main)`);
  };
  apt(['update']);
  const debs = path.join(aptDir, 'debs');
  for (const name of fs.readdirSync(debs)) fs.rmSync(path.join(debs, name), { force: true });
  apt(['download', `openssh-client/${suite}`], debs);
  const deb = fs.readdirSync(debs).find((name) => name.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download left no .deb in ${debs}`);
  const root = path.join(pqDir, 'root');
  fs.rmSync(root, { recursive: true, force: true });
  console.error(`ensure-test-deps: dpkg-deb -x ${deb} ${root}`);
  const x = capture('dpkg-deb', ['-x', path.join(debs, deb), root]);
  if (!x.ok) throw new Error(`dpkg-deb -x ${deb} failed: ${x.out}`);
}

function ensureNewSsh() {
  fs.mkdirSync(pqDir, { recursive: true });
  let result = checkNewSsh(pqSsh);
  if (result instanceof Error) {
    console.error(`ensure-test-deps: fetching an OpenSSH client that offers ${NEW_KEX} (for the post-quantum tests)`);
    try {
      fetchNewSsh();
      result = checkNewSsh(pqSsh);
    } catch (err) {
      result = err instanceof Error ? err : new Error(String(err));
    }
  }
  if (result instanceof Error) {
    const reason = `could not get an OpenSSH client that offers ${NEW_KEX}: ${result.message}`;
    fs.writeFileSync(pqStatusFile, `${JSON.stringify({ ok: false, reason }, null, 2)}\n`);
    console.error(`ensure-test-deps: ${reason}\nensure-test-deps: the post-quantum end-to-end test will fail until this is fixed`);
    return;
  }
  fs.writeFileSync(pqStatusFile, `${JSON.stringify({ ok: true, ssh: pqSsh, version: result }, null, 2)}\n`);
  console.error(`ensure-test-deps: second OpenSSH client ready: ${result} (${path.relative(repoRoot, pqSsh)})`);
}

ensureNewSsh();
