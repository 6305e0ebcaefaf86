/**
 * CPU quotas through Linux control groups (v2, or v1's cpu controller), for rows that must
 * keep the gateway from using the cores the load generator needs. A quota group holds the
 * processes given to it; `each` caps every one of them separately under the group's total.
 * Needs root (or a delegated cgroup); `cpuQuota` returns undefined where it cannot be set.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const PERIOD_US = 100_000;
const V2_ROOT = '/sys/fs/cgroup';
const V1_ROOT = '/sys/fs/cgroup/cpu';

export interface CpuQuota {
  /** Puts `pid` in a group of its own, capped at `each` cores, inside the total. */
  hold(pid: number): void;
  /** Moves every held process back to the root group and removes the groups. */
  release(): void;
}

interface Layout { root: string; setLimit(dir: string, cores: number): void }

function layout(): Layout | undefined {
  if (existsSync(path.join(V2_ROOT, 'cgroup.controllers'))) {
    return {
      root: V2_ROOT,
      setLimit(dir, cores) {
        // A v2 group hands the cpu controller to its children only when told to.
        writeFileSync(path.join(path.dirname(dir), 'cgroup.subtree_control'), '+cpu');
        writeFileSync(path.join(dir, 'cpu.max'), `${Math.round(cores * PERIOD_US)} ${PERIOD_US}`);
      },
    };
  }
  if (existsSync(path.join(V1_ROOT, 'cpu.cfs_quota_us'))) {
    return {
      root: V1_ROOT,
      setLimit(dir, cores) {
        writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
        writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(Math.round(cores * PERIOD_US)));
      },
    };
  }
  return undefined;
}

/** A group named `name` with `total` cores; each process held is capped at `each` cores. */
export function cpuQuota(name: string, total: number, each: number): CpuQuota | undefined {
  const where = layout();
  if (!where) return undefined;
  const group = path.join(where.root, name);
  const children: string[] = [];
  try {
    mkdirSync(group, { recursive: true });
    where.setLimit(group, total);
  } catch {
    try { rmdirSync(group); } catch { /* never made */ }
    return undefined;
  }
  return {
    hold(pid) {
      const dir = path.join(group, `p${pid}`);
      mkdirSync(dir, { recursive: true });
      where.setLimit(dir, each);
      writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
      children.push(dir);
    },
    release() {
      for (const dir of [...children, group].reverse()) {
        try {
          for (const pid of readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
            writeFileSync(path.join(where.root, 'cgroup.procs'), pid);
          }
          rmdirSync(dir);
        } catch { /* already gone */ }
      }
    },
  };
}
