import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { withRuntime } from '../context.js';
import { Refused, UsageError } from '../cli-errors.js';
import { dataPath } from '../../config/load-settings.js';
import { readCast, parseCast } from '../../recording/asciicast-reader.js';
import { printable } from '../../log/printable.js';

/** Long pauses are shortened to this, as asciinema's idle time limit does. */
const MAX_PAUSE_S = 2;

export function registerReplay(program: Command): void {
  program.command('replay')
    .description('replay a recorded session in the terminal')
    .argument('<id>', 'session id (or a recording file)')
    .option('--speed <x>', 'playback speed', '1')
    .action(async (id: string, options: { speed: string }, command: Command) => {
      const speed = Number(options.speed);
      if (!(speed > 0)) throw new UsageError(`--speed must be a positive number, not ${options.speed}`);
      // This node's file first; else the store's copy, written as the session ran on whichever node held it.
      const cast = await withRuntime(command, async ({ dataDir, settings, stores }) => {
        const candidates = [id, path.join(dataPath(dataDir, settings.recordings.dir), `${id}.cast`)];
        const file = candidates.find((f) => f.endsWith('.cast') && existsSync(f));
        if (file) return readCast(file);
        const stored = /^[0-9a-f]{1,64}$/.test(id) ? await stores.recordings.read(id) : null;
        return stored ? parseCast(stored.toString('utf8'), `the store's recording of session ${id}`) : null;
      });
      if (!cast) throw new Refused(`no recording for session ${printable(id)}`);
      let previous = 0;
      for (const event of cast.events) {
        const pause = Math.min(event.time - previous, MAX_PAUSE_S) / speed;
        previous = event.time;
        if (pause > 0.001) await new Promise((resolve) => setTimeout(resolve, pause * 1000));
        if (event.code === 'o') process.stdout.write(event.data);
      }
      process.stdout.write('\r\n');
    });
}
