/**
 * The `.rdp` file that takes a client through the gateway to one target (SPEC §11): the
 * target as `full address`, the gateway as `gatewayhostname`, and the access token as the
 * PAA cookie (`gatewaycredentialssource:i:5`), which mstsc and FreeRDP send in the tunnel
 * create packet. CRLF line endings, as Windows writes them.
 */
import { hostname } from 'node:os';
import { splitHostPort } from '../gateway/gateway.js';
import type { Settings } from '../config/settings-schema.js';

export function rdpFileText(options: { target: string; gateway: string; token: string }): string {
  return [
    `full address:s:${options.target}`,
    `gatewayhostname:s:${options.gateway}`,
    'gatewayusagemethod:i:1',
    'gatewayprofileusagemethod:i:1',
    'gatewaycredentialssource:i:5',
    `gatewayaccesstoken:s:${options.token}`,
    'prompt for credentials:i:1',
    '',
  ].join('\r\n');
}

/** `rdp.publicAddress`, else the listen address (this host's name for a wildcard); null when the gateway is off. */
export function gatewayAddress(rdp: Settings['rdp']): string | null {
  if (rdp.publicAddress) return rdp.publicAddress;
  if (!rdp.listen) return null;
  const { host, port } = splitHostPort(rdp.listen);
  const shown = host === '0.0.0.0' || host === '::' || host === '' ? hostname() : host.includes(':') ? `[${host}]` : host;
  return `${shown}:${port}`;
}
