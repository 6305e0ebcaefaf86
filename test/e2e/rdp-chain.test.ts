/**
 * An RDP target that only an SSH jump host reaches: the gateway, the hop and xrdp each in
 * their own network namespace, one cable between neighbours and no forwarding, so the
 * only way from the gateway to xrdp is the hop's sshd (`via`). FreeRDP, in the root
 * namespace, reaches xrdp through the gateway all the same.
 *
 *   root --- gw (jumpgate) --- hop (sshd) --- far (xrdp on 10.231.210.6:3389)
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { settingsWith, startGateway, type Gateway } from '../helpers/gateway.js';
import { makeKeyPair } from '../helpers/keys.js';
import { createNamespace, linkNamespaces, pickRootLinkSubnet, requireNetworkNamespaces, tcpProbe, type Namespace } from '../helpers/netns.js';
import type { TrackedProcess } from '../helpers/processes.js';
import { startXrdp, startXvfb, xfreerdp, type Xrdp } from '../helpers/rdp.js';
import { osLogin, startSshd, type Sshd } from '../helpers/sshd.js';
import { suiteFixture } from '../helpers/suite-fixture.js';
import { waitForPort } from '../helpers/ports.js';

const ADDRESSES = { gwToHop: '10.231.210.1', hop: '10.231.210.2', hopToFar: '10.231.210.5', far: '10.231.210.6' } as const;
const RDP_GATE_PORT = 8443;

interface World { gateway: Gateway; gw: Namespace; gate: string; hop: Sshd; xrdp: Xrdp; display: string; xvfb: TrackedProcess; stop(): Promise<void> }

async function startWorld(): Promise<World> {
  await requireNetworkNamespaces();
  const gw = await createNamespace('rgw');
  const hopNs = await createNamespace('rhop');
  const far = await createNamespace('rfar');
  const rootLink = await pickRootLinkSubnet();
  await linkNamespaces('root', `${rootLink.rootAddress}/30`, gw, `${rootLink.nsAddress}/30`);
  await linkNamespaces(gw, `${ADDRESSES.gwToHop}/30`, hopNs, `${ADDRESSES.hop}/30`);
  await linkNamespaces(hopNs, `${ADDRESSES.hopToFar}/30`, far, `${ADDRESSES.far}/30`);

  const gateway = await startGateway({
    netns: gw, host: rootLink.nsAddress, port: 2222,
    settings: settingsWith([[['rdp', 'listen'], `${rootLink.nsAddress}:${RDP_GATE_PORT}`]]),
  });
  const hopKey = await makeKeyPair(gateway.workDir, 'hop_key', 'jumpgate@hop');
  const [hop, xrdp, { display, proc: xvfb }] = await Promise.all([
    startSshd({ netns: hopNs, host: ADDRESSES.hop, authorizedKeys: [hopKey.publicKey] }),
    startXrdp(ADDRESSES.far, 3389, far),
    startXvfb(),
  ]);
  // The RD Gateway listens once the gateway is up; under a full test run that can take longer than the default 10 s.
  await waitForPort(rootLink.nsAddress, RDP_GATE_PORT, 30_000);
  await gateway.apply(`kind: User
name: alice
roles: [rdp-users]
---
kind: Credential
name: hop-key
type: privateKey
secretFile: ./hop_key
---
kind: Target
name: hop
host: ${ADDRESSES.hop}
login: ${osLogin}
credential: hop-key
---
kind: Target
name: win-far
host: ${ADDRESSES.far}
via: hop
---
kind: Role
name: rdp-users
allow:
  - targets: [win-far]
    access: [rdp]
`);
  return {
    gateway, gw, gate: `${rootLink.nsAddress}:${RDP_GATE_PORT}`, hop, xrdp, display, xvfb,
    stop: async () => {
      try {
        await gateway.stop();
      } finally {
        await Promise.all([hop.stop(), xrdp.proc.kill(), xvfb.kill()]);
      }
    },
  };
}

describe('RDP through a via chain of SSH hops', { timeout: 300_000 }, () => {
  const world = suiteFixture(startWorld);

  test('xrdp is out of the gateway\'s reach except through the hop', { timeout: 30_000 }, async () => {
    assert.notEqual(await tcpProbe(world.gw, ADDRESSES.far, 3389), 'connected');
    assert.equal(await tcpProbe(world.gw, ADDRESSES.hop, 22), 'connected', 'positive control: the hop is reachable');
  });

  test('FreeRDP reaches xrdp through the gateway and the hop, and the session names the hop', { timeout: 120_000 }, async () => {
    const issued = await world.gateway.jumpgate(['rdp-file', 'alice', 'win-far']);
    assert.equal(issued.code, 0, issued.stderr);
    const token = /^gatewayaccesstoken:s:(\S+)\r$/m.exec(issued.stdout)![1];
    const from = world.gateway.auditEvents().length;
    const result = await xfreerdp(['/v:win-far', `/g:${world.gate}`, '/gt:http', `/gat:${token}`, '/cert:ignore', '+auth-only', '/u:x', '/p:y'], { display: world.display });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout + result.stderr, /Authentication only, exit status 0/);
    const start = await world.gateway.waitForAuditEvent((e, i) => i >= from && e.type === 'session.start' && e.kind === 'rdp');
    assert.equal(start.destination, `${ADDRESSES.far}:3389`);
    const end = await world.gateway.waitForAuditEvent((e, i) => i >= from && e.type === 'session.end' && e.session === start.session);
    assert.ok((end.bytes_up as number) > 1000 && (end.bytes_down as number) > 1000, JSON.stringify(end));
    const sessions = await world.gateway.jumpgate(['sessions', '--all', '-o', 'json']);
    const record = (JSON.parse(sessions.stdout) as Array<{ id: string; via: string | null; kind: string }>).find((s) => s.id === start.session);
    assert.equal(record?.kind, 'rdp');
    assert.match(record?.via ?? '', /^hop#/);
  });
});
