/** `ip:port` as SPEC §6 writes `src`, with IPv6 in brackets and IPv4-mapped addresses unwrapped. */
export function addressText(ip: string | undefined, port: number | undefined): string {
  const host = (ip ?? 'unknown').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  return host.includes(':') ? `[${host}]:${port ?? 0}` : `${host}:${port ?? 0}`;
}

export function plainIp(ip: string | undefined): string {
  return (ip ?? '').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
}
