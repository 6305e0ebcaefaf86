import type { Target } from '../domain/resources.js';

export type HopChain =
  | { ok: true; hops: Target[] }
  /** `at`: the `via` that could not be followed. `apply` refuses both cases; an old store may still hold one. */
  | { ok: false; at: string; problem: string };

/** The hops to pass through to reach a target, outermost first: `via` of a `via` … (SPEC §3). */
export function hopChain(target: Target, byName: (name: string) => Target | null | undefined): HopChain {
  const hops: Target[] = [];
  const seen = new Set([target.name]);
  let current = target;
  while (current.via) {
    const hop = byName(current.via);
    if (!hop) return { ok: false, at: current.via, problem: `via ${current.via} names no target` };
    if (seen.has(hop.name)) return { ok: false, at: current.via, problem: `via makes a cycle at ${hop.name}` };
    seen.add(hop.name);
    hops.unshift(hop);
    current = hop;
  }
  return { ok: true, hops };
}

/** Like hopChain, for callers that treat a broken chain as an error. */
export function hopsOf(target: Target, byName: (name: string) => Target | null | undefined): Target[] {
  const chain = hopChain(target, byName);
  if (!chain.ok) throw new Error(chain.problem);
  return chain.hops;
}
