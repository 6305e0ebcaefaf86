import { killAllChildren } from './processes.js';
import { removeTempDirs } from './tmp.js';

/**
 * For after(): kills every child this test file started and removes its temp
 * dirs. Runs both steps even when one fails.
 */
export async function cleanupAll(): Promise<void> {
  try {
    await killAllChildren();
  } finally {
    removeTempDirs();
  }
}
