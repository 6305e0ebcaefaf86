/** The one place that maps failures to exit codes and one-line messages (SPEC §4, §7). */
import { ResourceFileError } from '../domain/resource-yaml.js';
import { SettingsError } from '../config/load-settings.js';

/** Bad usage or invalid input: exit 2. */
export class UsageError extends Error {}
/** A refused or failed operation: exit 1. */
export class Refused extends Error {}

export function exitCodeFor(error: unknown): { code: number; message: string } {
  if (error instanceof ResourceFileError) return { code: 2, message: error.message };
  if (error instanceof SettingsError) return { code: 2, message: `jumpgate: ${error.message}` };
  if (error instanceof UsageError) return { code: 2, message: `jumpgate: ${error.message}` };
  if (error instanceof Refused) return { code: 1, message: `jumpgate: ${error.message}` };
  const text = error instanceof Error ? error.message : String(error);
  return { code: 1, message: `jumpgate: ${text}` };
}
