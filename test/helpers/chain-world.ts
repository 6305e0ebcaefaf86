/**
 * ChainWorld, a segmented network in which only a chain of two jump hosts
 * leads from the gateway to the target, and what jump-chain tests do with it.
 */
import { settingsWith, startGateway, type Gateway } from './gateway.js';
import { makeKeyPair, type KeyPair } from './keys.js';
import { createNamespace, linkNamespaces, pickRootLinkSubnet, setLinkState, startEchoInNamespace, type Link, type Namespace } from './netns.js';
import type { RunResult } from './processes.js';
import { makeSshClient, type SshClient } from './ssh-client.js';
import { osLogin, startSshd, type Sshd } from './sshd.js';

/**
 * Addresses inside the test's own namespaces: each /30 is one cable.
 *   gw  10.231.200.1 --- 10.231.200.2  core   (core-jump sshd)
 *   core 10.231.200.5 --- 10.231.200.6  dmz   (dmz-jump sshd)
 *   dmz 10.231.200.9 --- 10.231.200.10 target (db1 sshd, echo service)
 * No namespace routes or forwards, so each one reaches only its neighbours.
 */
export const CHAIN_ADDRESSES = {
  gwToCore: '10.231.200.1',
  coreJump: '10.231.200.2',
  coreToDmz: '10.231.200.5',
  dmzJump: '10.231.200.6',
  dmzToTarget: '10.231.200.9',
  db1: '10.231.200.10',
} as const;

export const ECHO_PORT = 7007;

/**
 * The gateway's `ssh.keepaliveInterval` in the chain: short, so a hop that vanished
 * silently is noticed within interval × 4 (three unanswered keepalives, then one more).
 */
export const CHAIN_KEEPALIVE_SECONDS = 2;

export interface ChainWorld {
  gateway: Gateway;
  ns: { gw: Namespace; core: Namespace; dmz: Namespace; target: Namespace };
  /** The gateway's address on the link from the root namespace. */
  gateAddress: string;
  coreJump: Sshd;
  /** The sshd running now as dmz-jump (replaced by restartDmzJump). */
  dmzJump: Sshd;
  db1: Sshd;
  /** The cable between core-jump and dmz-jump. */
  coreDmzLink: Link;
  login: string;
  keys: { alice: KeyPair; coreHop: KeyPair; dmzHop: KeyPair };
  /** alice's ssh set-up in the root namespace; `gate` is the gateway. */
  alice: SshClient;
  resources: string;
  /** Kills dmz-jump's sshd like a crash: its listener and every connection at once. */
  crashDmzJump(): Promise<void>;
  /** Starts dmz-jump's sshd again on its address, with its old host key or `hostKey`. */
  restartDmzJump(hostKey?: KeyPair): Promise<void>;
  /** Unplugs (`down`) or plugs back (`up`) the cable between core-jump and dmz-jump. */
  setCoreDmzLink(state: 'up' | 'down'): Promise<void>;
  /** Stops the gateway (expecting exit 0), the servers and the echo service. */
  stop(): Promise<void>;
}

/**
 * Builds the network, starts a real sshd in each of core, dmz and target, an
 * echo service next to db1, and the gateway in gw (reached from the root
 * namespace over a veth link), then applies alice, the hops with their own
 * credentials, db1 via dmz-jump via core-jump, and a role for jump and forward.
 */
export async function startChainWorld(): Promise<ChainWorld> {
  const a = CHAIN_ADDRESSES;
  const gw = await createNamespace('gw');
  const core = await createNamespace('core');
  const dmz = await createNamespace('dmz');
  const target = await createNamespace('tgt');
  const rootLink = await pickRootLinkSubnet();
  await linkNamespaces('root', `${rootLink.rootAddress}/30`, gw, `${rootLink.nsAddress}/30`);
  await linkNamespaces(gw, `${a.gwToCore}/30`, core, `${a.coreJump}/30`);
  const coreDmzLink = await linkNamespaces(core, `${a.coreToDmz}/30`, dmz, `${a.dmzJump}/30`);
  await linkNamespaces(dmz, `${a.dmzToTarget}/30`, target, `${a.db1}/30`);

  // Twenty sessions of one user from one address at once exceed the default
  // per-user and per-source limits, as they would for an operator.
  const gateway = await startGateway({
    netns: gw,
    host: rootLink.nsAddress,
    port: 2222,
    settings: settingsWith([
      [['ssh', 'maxStartups'], { total: 100, perSource: 50 }],
      [['sessions', 'maxSessionsPerUser'], 50],
      [['ssh', 'keepaliveInterval'], `${CHAIN_KEEPALIVE_SECONDS}s`],
    ]),
  });
  const dir = gateway.workDir;
  const [alice, coreHop, dmzHop] = await Promise.all([
    makeKeyPair(dir, 'alice', 'alice@laptop'),
    makeKeyPair(dir, 'core_hop_key', 'jumpgate@core'),
    makeKeyPair(dir, 'dmz_hop_key', 'jumpgate@dmz'),
  ]);
  const [coreJump, dmzJump, db1] = await Promise.all([
    startSshd({ netns: core, host: a.coreJump, authorizedKeys: [coreHop.publicKey] }),
    startSshd({ netns: dmz, host: a.dmzJump, authorizedKeys: [dmzHop.publicKey] }),
    // ProxyJump is end to end: the target trusts alice's own key.
    startSshd({ netns: target, host: a.db1, authorizedKeys: [alice.publicKey] }),
  ]);
  const echo = await startEchoInNamespace(target, a.db1, ECHO_PORT);

  const resources = `kind: User
name: alice
roles: [ops]
keys:
  - ${alice.publicKey}
---
kind: Credential
name: core-hop-key
type: privateKey
secretFile: ./core_hop_key
---
kind: Credential
name: dmz-hop-key
type: privateKey
secretFile: ./dmz_hop_key
---
kind: Target
name: core-jump
host: ${a.coreJump}
port: 22
login: ${osLogin}
credential: core-hop-key
---
kind: Target
name: dmz-jump
host: ${a.dmzJump}
port: 22
via: core-jump
login: ${osLogin}
credential: dmz-hop-key
---
kind: Target
name: db1
host: ${a.db1}
port: 22
via: dmz-jump
login: ${osLogin}
---
kind: Role
name: ops
allow:
  - targets: [db1]
    access: [jump, forward]
    ports: [22, ${ECHO_PORT}]
`;
  await gateway.apply(resources);
  const aliceClient = makeSshClient({
    dir,
    gateUser: 'alice',
    gateHost: rootLink.nsAddress,
    gatePort: gateway.port,
    gateKey: alice.privateKeyPath,
    targetKey: alice.privateKeyPath,
  });

  const world: ChainWorld = {
    gateway,
    ns: { gw, core, dmz, target },
    gateAddress: rootLink.nsAddress,
    coreJump,
    dmzJump,
    db1,
    coreDmzLink,
    login: osLogin,
    keys: { alice, coreHop, dmzHop },
    alice: aliceClient,
    resources,
    crashDmzJump: () => world.dmzJump.crash(),
    restartDmzJump: async (hostKey) => {
      world.dmzJump = await startSshd({ netns: dmz, host: a.dmzJump, hostKey: hostKey ?? world.dmzJump.hostKey, authorizedKeys: [dmzHop.publicKey] });
    },
    setCoreDmzLink: (state) => setLinkState(coreDmzLink, state),
    stop: async () => {
      try {
        await gateway.stop();
      } finally {
        await Promise.all([world.coreJump.stop(), world.dmzJump.stop(), world.db1.stop(), echo.kill()]);
      }
    },
  };
  return world;
}

// ---------------------------------------------------------------------------
// Driving it

/** Runs an OpenSSH client program (ssh, scp) inside a namespace with an SshClient's config file. */
export function runClientIn(ns: Namespace, program: 'ssh' | 'scp', client: SshClient, args: readonly string[], timeoutMs = 30_000): Promise<RunResult> {
  return ns.run(program, ['-F', client.configFile, ...args], { timeoutMs });
}

/** `jumpgate sessions -o json` as records. */
export interface SessionRow {
  id: string;
  kind: string;
  user: string;
  target: string;
  destination: string;
  via: string | null;
  endedAt: string | null;
  [field: string]: unknown;
}

export async function listSessions(gateway: Gateway): Promise<SessionRow[]> {
  const r = await gateway.jumpgate(['sessions', '-o', 'json']);
  if (r.code !== 0) throw new Error(`jumpgate sessions -o json exited ${r.code ?? r.signal}\n${r.stderr}`);
  return JSON.parse(r.stdout) as SessionRow[];
}

