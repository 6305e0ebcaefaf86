/**
 * `audit --type T`: an event type (`session.start`) or a family (`session`, matching
 * `session.start` and `session.end`). A typo is bad usage, never an empty result that
 * looks like "nothing happened".
 */
import { AUDIT_TYPES } from './events.js';

const FAMILIES = [...new Set(AUDIT_TYPES.map((type) => type.split('.')[0]))];

export function checkTypeFilter(text: string): { ok: true } | { ok: false; message: string } {
  if ((AUDIT_TYPES as readonly string[]).includes(text) || FAMILIES.includes(text)) return { ok: true };
  const guess = closest(text, [...FAMILIES, ...AUDIT_TYPES]);
  return { ok: false, message: `--type ${text}: unknown event type${guess ? ` (did you mean ${guess}?)` : ''}; the types are ${AUDIT_TYPES.join(', ')}, or a family: ${FAMILIES.join(', ')}` };
}

/** The candidate within two edits of the text, if any (Levenshtein distance). */
function closest(text: string, candidates: readonly string[]): string | null {
  let best: { word: string; distance: number } | null = null;
  for (const word of candidates) {
    const distance = editDistance(text.toLowerCase(), word);
    if (distance <= 2 && (!best || distance < best.distance)) best = { word, distance };
  }
  return best?.word ?? null;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
