import type { Target } from '../domain/resources.js';

/** The hops to pass through to reach a target, outermost first: `via` of a `via` … (SPEC §3). */
export function hopsOf(target: Target, byName: (name: string) => Target | null): Target[] {
  const hops: Target[] = [];
  const seen = new Set([target.name]);
  let current = target;
  while (current.via) {
    const hop = byName(current.via);
    if (!hop) throw new Error(`via ${current.via} names no target`);
    if (seen.has(hop.name)) throw new Error(`via makes a cycle at ${hop.name}`);
    seen.add(hop.name);
    hops.unshift(hop);
    current = hop;
  }
  return hops;
}
