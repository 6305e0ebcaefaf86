import { killAllChildren } from './processes.js';
import { stopSshds } from './sshd.js';
import { removeTempDirs } from './tmp.js';

/**
 * For after(): stops every sshd still up (with its per-connection processes,
 * which a process-group kill misses), kills every other child this test file
 * started and removes its temp dirs. Runs every step even when one fails.
 */
export async function cleanupAll(): Promise<void> {
  try {
    await stopSshds();
  } finally {
    try {
      await killAllChildren();
    } finally {
      removeTempDirs();
    }
  }
}
