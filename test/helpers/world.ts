import { startGateway, type Gateway, type GatewayOptions } from './gateway.js';
import { makeKeyPair, type KeyPair } from './keys.js';
import { makeSshClient, type SshClient } from './ssh-client.js';
import { osLogin, startSshd, type Sshd } from './sshd.js';

/**
 * The usual cast of an end-to-end test: a gateway with a fresh data dir, one
 * OpenSSH target `db1`, alice (role ops: jump and forward to db1), bob (no
 * roles), and a stranger who claims to be alice with a key nobody registered.
 */
export interface World {
  gateway: Gateway;
  db1: Sshd;
  /** The login on db1: the OS user running the tests. */
  login: string;
  keys: { alice: KeyPair; bob: KeyPair; stranger: KeyPair };
  alice: SshClient;
  bob: SshClient;
  stranger: SshClient;
  /** The YAML applied at start. */
  resources: string;
  /** Stops the gateway (expecting exit 0) and the target. */
  stop(): Promise<void>;
}

export interface WorldOptions {
  /** Ports alice may forward to on db1, besides 22. */
  forwardPorts?: number[];
  /** More YAML documents applied with the base resources. */
  extraYaml?: string;
  /** Edits of the gateway's settings, applied before it starts. */
  settings?: (yaml: string) => string;
  /** The ssh LogLevel towards the gateway (INFO by default, so refusals show). */
  gateLogLevel?: 'INFO' | 'ERROR';
  /** How the gateway process runs (its environment, its open-files limit). */
  gatewayProcess?: Pick<GatewayOptions, 'env' | 'openFilesLimit'>;
  store?: GatewayOptions['store'];
}

/** Stops the gateway (expecting exit 0) and then the target, whatever the gateway did. */
async function stopGatewayThenTarget(gateway: Gateway, target: Sshd): Promise<void> {
  try {
    await gateway.stop();
  } finally {
    await target.stop();
  }
}

/** SPEC §3 resources for the World cast. */
export function worldResources(params: {
  alice: string;
  bob: string;
  db1Port: number;
  login: string;
  forwardPorts?: number[];
}): string {
  const ports = [22, ...(params.forwardPorts ?? [])];
  return `kind: User
name: alice
roles: [ops]
keys:
  - ${params.alice}
---
kind: User
name: bob
roles: []
keys:
  - ${params.bob}
---
kind: Target
name: db1
host: 127.0.0.1
port: ${params.db1Port}
login: ${params.login}
---
kind: Role
name: ops
allow:
  - targets: [db1]
    access: [jump, forward]
    ports: [${ports.join(', ')}]
    logins: [${params.login}]
`;
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const gateway = await startGateway({ settings: options.settings, store: options.store, ...options.gatewayProcess });
  const dir = gateway.workDir;
  const [alice, bob, stranger] = await Promise.all([
    makeKeyPair(dir, 'alice', 'alice@laptop'),
    makeKeyPair(dir, 'bob', 'bob@laptop'),
    makeKeyPair(dir, 'stranger', 'stranger@elsewhere'),
  ]);
  // The target trusts alice's and bob's own keys (ProxyJump is end to end), so
  // whatever stops bob is the gateway's decision, not the target's.
  const db1 = await startSshd({ authorizedKeys: [alice.publicKey, bob.publicKey] });
  let resources = worldResources({
    alice: alice.publicKey,
    bob: bob.publicKey,
    db1Port: db1.port,
    login: osLogin,
    ...(options.forwardPorts ? { forwardPorts: options.forwardPorts } : {}),
  });
  if (options.extraYaml) resources += `---\n${options.extraYaml}`;
  await gateway.apply(resources);

  const client = (user: string, key: KeyPair): SshClient =>
    makeSshClient({ dir, gateUser: user, gatePort: gateway.port, gateKey: key.privateKeyPath, targetKey: key.privateKeyPath, gateLogLevel: options.gateLogLevel });

  return {
    gateway,
    db1,
    login: osLogin,
    keys: { alice, bob, stranger },
    alice: client('alice', alice),
    bob: client('bob', bob),
    stranger: client('alice', stranger),
    resources,
    stop: () => stopGatewayThenTarget(gateway, db1),
  };
}

/**
 * The cast of a proxied-session test (SPEC §2.2): a gateway with a fresh data
 * dir, an OpenSSH target db1 that trusts only the credential db-key the gateway
 * holds, and alice (roles [dba]), whose own key opens only the gateway. The
 * test brings the dba role and whatever else it needs.
 */
export interface ProxiedWorld {
  gateway: Gateway;
  db1: Sshd;
  /** The login on db1: the OS user running the tests. */
  login: string;
  keys: { alice: KeyPair; db: KeyPair };
  /** alice's ssh set-up, quiet (LogLevel ERROR) towards the gateway too. */
  alice: SshClient;
  /** An ssh set-up like alice's for another user of the gateway. */
  clientFor(user: string, key: KeyPair): SshClient;
  /** The YAML applied at start. */
  resources: string;
  /** Stops the gateway (expecting exit 0, unless the test terminated it) and db1. */
  stop(): Promise<void>;
}

export interface ProxiedWorldOptions {
  settings?: GatewayOptions['settings'];
  /** How the gateway process runs (its environment, its open-files limit). */
  gatewayProcess?: Pick<GatewayOptions, 'env' | 'openFilesLimit'>;
  store?: GatewayOptions['store'];
  /**
   * The documents applied with the base ones (at least the dba role). It runs
   * once the gateway and db1 are up, so it may make keys in gateway.workDir and
   * start more servers first.
   */
  extraYaml(world: Omit<ProxiedWorld, 'resources'>): string | Promise<string>;
}

/** A Target document on loopback that the gateway logs into as the OS user with a stored credential. */
export function proxiedTargetYaml(name: string, port: number, credential = 'db-key'): string {
  return `kind: Target
name: ${name}
host: 127.0.0.1
port: ${port}
login: ${osLogin}
credential: ${credential}
`;
}

export async function startProxiedWorld(options: ProxiedWorldOptions): Promise<ProxiedWorld> {
  const gateway = await startGateway({ settings: options.settings, store: options.store, ...options.gatewayProcess });
  const dir = gateway.workDir;
  const [alice, db] = await Promise.all([
    makeKeyPair(dir, 'alice', 'alice@laptop'),
    makeKeyPair(dir, 'db-key', 'jumpgate-credential'),
  ]);
  const db1 = await startSshd({ authorizedKeys: [db.publicKey] });
  const clientFor = (user: string, key: KeyPair): SshClient =>
    makeSshClient({ dir, gateUser: user, gatePort: gateway.port, gateKey: key.privateKeyPath, gateLogLevel: 'ERROR' });
  const cast = {
    gateway,
    db1,
    login: osLogin,
    keys: { alice, db },
    alice: clientFor('alice', alice),
    clientFor,
    stop: () => stopGatewayThenTarget(gateway, db1),
  };
  const resources = `kind: Credential
name: db-key
type: privateKey
secretFile: ./db-key
---
kind: User
name: alice
roles: [dba]
keys:
  - ${alice.publicKey}
---
${proxiedTargetYaml('db1', db1.port)}---
${await options.extraYaml(cast)}`;
  await gateway.apply(resources);
  return { ...cast, resources };
}
