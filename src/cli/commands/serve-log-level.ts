/**
 * `serve --log-level`: the flag form of JUMPGATE_LOG_LEVEL. The chosen level is put back
 * into the environment before the command runs, so every logger of the gateway, and any
 * process it starts, logs at that level without each being handed the option.
 */
import { Option, type Command } from 'commander';
import { LEVELS } from '../../log/logger.js';

export function logLevelOption(): Option {
  return new Option('--log-level <level>', 'least important lines logged: info has one line per connection')
    .choices(LEVELS).env('JUMPGATE_LOG_LEVEL').default('info');
}

/** A preAction hook for the command that has logLevelOption(). */
export function applyLogLevel(command: Command): void {
  process.env.JUMPGATE_LOG_LEVEL = command.opts<{ logLevel: string }>().logLevel;
}
