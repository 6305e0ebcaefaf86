import { readFileSync } from 'node:fs';

export interface CastEvent { time: number; code: string; data: string }
export interface Cast { header: { width: number; height: number; timestamp?: number }; events: CastEvent[] }

/** Reads an asciicast v2 file; a torn last line (a crash while writing) is ignored. */
export function readCast(file: string): Cast {
  return parseCast(readFileSync(file, 'utf8'), file);
}

/** Parses asciicast v2 text (`file` names it in errors); a torn last line is ignored. */
export function parseCast(text: string, file: string): Cast {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error(`${file}: empty recording`);
  const header = JSON.parse(lines[0]) as Cast['header'] & { version?: number };
  if (header.version !== 2) throw new Error(`${file}: not an asciicast v2 recording`);
  const events: CastEvent[] = [];
  for (const line of lines.slice(1)) {
    try {
      const [time, code, data] = JSON.parse(line) as [number, string, string];
      events.push({ time, code, data });
    } catch {
      break;
    }
  }
  return { header, events };
}
