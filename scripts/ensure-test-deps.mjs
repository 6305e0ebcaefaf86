#!/usr/bin/env node
// Makes sure the OpenSSH programs the end-to-end tests drive are installed:
// the tests start a real sshd as a target and use the stock ssh client.
// As root (CI containers) missing packages are installed with apt-get;
// otherwise this says what to install and exits 1.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const PACKAGES = ['openssh-server', 'openssh-client'];
const SSHD = '/usr/sbin/sshd';
const CLIENT_PROGRAMS = ['ssh', 'ssh-keygen', 'scp', 'sftp'];

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

function missingPrograms() {
  const missing = [];
  if (!isExecutable(SSHD)) missing.push(SSHD);
  for (const program of CLIENT_PROGRAMS) {
    if (!onPath(program)) missing.push(program);
  }
  return missing;
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
  if (!isRoot) {
    console.error(
      `ensure-test-deps: the end-to-end tests need OpenSSH, and these are missing: ${missing.join(', ')}\n` +
        `Install the Debian/Ubuntu packages ${PACKAGES.join(' and ')}, for example:\n` +
        `  sudo apt-get install -y ${PACKAGES.join(' ')}`,
    );
    process.exit(1);
  }
  console.error(`ensure-test-deps: missing ${missing.join(', ')}; installing ${PACKAGES.join(' ')}`);
  runVisible('apt-get', ['update']);
  runVisible('apt-get', ['install', '-y', ...PACKAGES], { ...process.env, DEBIAN_FRONTEND: 'noninteractive' });
  missing = missingPrograms();
  if (missing.length > 0) {
    console.error(`ensure-test-deps: still missing after install: ${missing.join(', ')}`);
    process.exit(1);
  }
}

if (isRoot) {
  // sshd started as root refuses to run without its privilege separation dir,
  // which containers often lack because no init system created it.
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
}
