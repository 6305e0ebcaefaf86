/**
 * Why a file could not be read or a port bound, in words an operator acts on instead of
 * Node's error codes (`ENOENT`, `EADDRINUSE`).
 */
const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  EADDRINUSE: 'address already in use (another process listens there)',
  EADDRNOTAVAIL: 'address not available on this host',
};

export function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code && REASONS[code]) return REASONS[code];
  if (code) return code;
  return error instanceof Error ? error.message : String(error);
}
