import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { withRuntime, cliActor, formatOf } from '../context.js';
import { parseResourceYaml } from '../../domain/resource-yaml.js';
import { applyResources } from '../../resources/apply-resources.js';
import { UsageError } from '../cli-errors.js';
import { print } from '../output.js';
import { reasonOf } from '../../runtime/file-errors.js';

export function registerApply(program: Command): void {
  program.command('apply')
    .description('create or update resources from multi-document YAML (all or nothing)')
    .requiredOption('-f, --file <file>', 'YAML file, or - for standard input')
    .action(async (options: { file: string }, command: Command) => {
      let text: string;
      try {
        text = readFileSync(options.file === '-' ? 0 : options.file, 'utf8');
      } catch (error) {
        throw new UsageError(`-f ${options.file}: cannot read it: ${reasonOf(error)}`);
      }
      const label = options.file === '-' ? '<stdin>' : options.file;
      const parsed = parseResourceYaml(text, label);
      const baseDir = options.file === '-' ? process.cwd() : path.dirname(path.resolve(options.file));
      const changes = await withRuntime(command, (runtime) => applyResources({
        stores: runtime.stores, audit: runtime.audit, actor: cliActor(),
        vault: runtime.vault,
      }, parsed, baseDir));
      print(formatOf(command), changes, () => changes.map((c) => `${c.kind.toLowerCase()}/${c.name} ${c.action}\n`).join('') || 'no resources in the file\n');
    });
}
