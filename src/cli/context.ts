import { userInfo } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { openRuntime, type Runtime } from '../main.js';
import { isInitialised } from '../data-dir/init-data-dir.js';
import { Refused } from './cli-errors.js';
import { parseFormat, type OutputFormat } from './output.js';

export interface GlobalOptions { data: string; output?: string }

/** The data dir from `--data`, `JUMPGATE_DATA` or `./jumpgate-data` (SPEC §4). */
export function dataDirOf(command: Command): string {
  const options = command.optsWithGlobals<GlobalOptions>();
  return path.resolve(options.data);
}

export function formatOf(command: Command): OutputFormat {
  return parseFormat(command.optsWithGlobals<GlobalOptions>().output);
}

/** Opens the runtime of an initialised data dir for one command and closes it after. */
export async function withRuntime<T>(command: Command, work: (runtime: Runtime) => Promise<T>): Promise<T> {
  const dataDir = dataDirOf(command);
  if (!isInitialised(dataDir)) throw new Refused(`${dataDir} is not a jumpgate data dir; run: jumpgate init --data ${dataDir}`);
  const runtime = await openRuntime(dataDir);
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

/** Who a command-line change is attributed to in `config.change` events. */
export function cliActor(): string {
  return `cli:${process.env.SUDO_USER ?? userInfo().username}`;
}
