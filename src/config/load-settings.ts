import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { SettingsSchema, type Settings } from './settings-schema.js';
import { parseDuration } from './duration.js';
import { describeIssue } from '../domain/issue-text.js';
import { lineOfPath, issuePath } from '../domain/resource-yaml.js';

export const SETTINGS_FILE = 'jumpgate.yaml';

export class SettingsError extends Error {
  readonly code = 'INVALID_SETTINGS';
}

/** Validates settings text; errors name the file, the line and the key. */
export function parseSettings(text: string, file = SETTINGS_FILE): Settings {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const lineAt = (offset: number) => lines.linePos(offset).line;
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new SettingsError(`${file}:${lineAt(e.pos[0])}: ${e.message.split('\n')[0]}`);
  }
  const result = SettingsSchema.safeParse(doc.toJS() ?? {}, { reportInput: true });
  if (result.success) return result.data;
  const messages = result.error.issues.map((issue) => {
    const line = lineOfPath(doc, issuePath(issue), lineAt) ?? 1;
    return `${file}:${line}: ${describeIssue(issue)}`;
  });
  throw new SettingsError(messages.join('\n'));
}

export function loadSettings(dataDir: string): Settings {
  const file = path.join(dataDir, SETTINGS_FILE);
  return parseSettings(readFileSync(file, 'utf8'), file);
}

/** Milliseconds of a duration the schema has already validated. */
export function ms(duration: string): number {
  const value = parseDuration(duration);
  if (value === null) throw new SettingsError(`not a duration: ${duration}`);
  return value;
}

/** A settings path: absolute as given, otherwise relative to the data dir (SPEC §5). */
export function dataPath(dataDir: string, file: string): string {
  return path.isAbsolute(file) ? file : path.join(dataDir, file);
}
