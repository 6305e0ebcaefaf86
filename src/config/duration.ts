/** Durations in settings and resources are strings such as `30s`, `10m`, `12h`, `250ms`, `1d`. */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Milliseconds for a duration string, or null when the string is not one. */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (!match) return null;
  return Math.round(Number(match[1]) * UNIT_MS[match[2]]);
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const SIZE_UNIT: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
const SIZE = /^(\d+)\s*(B|KB|MB|GB)$/i;

/** Bytes for a size string such as `100MB`, or null. */
export function parseSize(text: string): number | null {
  const match = SIZE.exec(text.trim());
  return match ? Number(match[1]) * SIZE_UNIT[match[2].toUpperCase()] : null;
}
