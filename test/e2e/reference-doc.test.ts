/**
 * docs/reference.md cannot drift: its tables list exactly the fields of the resource
 * schemas, the access kinds, the settings (every leaf of the settings schema) and the
 * commands the built CLI has, with every flag each command takes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { SettingsSchema } from '../../src/config/settings-schema.js';
import { ACCESS_KINDS, CredentialSchema, RoleSchema, RuleSchema, TargetSchema, UserSchema } from '../../src/domain/resources.js';
import { runJumpgate } from '../helpers/gateway.js';
import { repoRoot } from '../helpers/paths.js';

const REFERENCE = fs.readFileSync(path.join(repoRoot, 'docs', 'reference.md'), 'utf8');

/** The text under a heading, up to the next heading of the same or a higher level. */
function section(heading: string): string {
  const lines = REFERENCE.split('\n');
  const start = lines.findIndex((line) => line === heading);
  assert.notEqual(start, -1, `docs/reference.md has no heading "${heading}"`);
  const level = heading.indexOf(' ');
  const end = lines.findIndex((line, i) => i > start && /^#+ /.test(line) && line.indexOf(' ') <= level);
  return lines.slice(start + 1, end === -1 ? undefined : end).join('\n');
}

/** The first cell of every table row, when it is `code`. */
function firstCells(text: string): string[] {
  return [...text.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
}

/** `row` drafts the table row of a missing name, so whoever adds it to the code sees what to write. */
function assertSameSet(documented: readonly string[], actual: readonly string[], what: string, row = (name: string) => `| \`${name}\` | … |`): void {
  const missing = actual.filter((name) => !documented.includes(name));
  const extra = documented.filter((name) => !actual.includes(name));
  const drafts = missing.length > 0 ? `\nrows to fill in and add:\n${missing.map(row).join('\n')}` : '';
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `docs/reference.md, ${what}: add the missing rows, remove the extra ones${drafts}`);
  assert.equal(new Set(documented).size, documented.length, `docs/reference.md, ${what}: a row appears twice`);
}

/** Just what the walk below reads of a zod schema. */
interface Walkable {
  def: { type: string; innerType?: Walkable; in?: Walkable; element?: Walkable; options?: Walkable[] };
  shape?: Record<string, Walkable>;
}

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);

function unwrap(schema: Walkable): Walkable {
  let current = schema;
  for (;;) {
    if (WRAPPERS.has(current.def.type) && current.def.innerType) current = current.def.innerType;
    else if (current.def.type === 'pipe' && current.def.in) current = current.def.in;
    else return current;
  }
}

/** Every setting as a dotted path; items of lists of objects as `list[].field`. */
function settingPaths(schema: Walkable, prefix = '', out: string[] = []): string[] {
  const inner = unwrap(schema);
  const { type, element, options } = inner.def;
  if (type === 'object' && inner.shape) {
    for (const [key, value] of Object.entries(inner.shape)) settingPaths(value, prefix ? `${prefix}.${key}` : key, out);
    return out;
  }
  if (type === 'array' && element && ['object', 'union'].includes(unwrap(element).def.type)) return settingPaths(element, `${prefix}[]`, out);
  if (type === 'union' && options && options.every((o) => unwrap(o).def.type === 'object')) {
    for (const option of options) settingPaths(option, prefix, out);
    return [...new Set(out)];
  }
  out.push(prefix);
  return out;
}

interface CliCommand { path: string; flags: string[] }

/** The CLI's commands and their long flags, as its own help lists them. */
async function cliCommands(prefix: string[] = []): Promise<CliCommand[]> {
  const help = await runJumpgate([...prefix, '--help']);
  assert.equal(help.code, 0, `jumpgate ${prefix.join(' ')} --help exited ${help.code}\n${help.stderr}`);
  const block = (name: string) => help.stdout.split(`\n${name}:\n`)[1]?.split('\n\n')[0] ?? '';
  // Entries start two spaces in; wrapped descriptions are indented further.
  const subcommands = [...block('Commands').matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]).filter((name) => name !== 'help');
  const flags = [...block('Options').matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((m) => m[1]).filter((flag) => flag !== '--help');
  const found: CliCommand[] = [];
  // A group without options of its own (user, target, …) is no command by itself.
  if (prefix.length > 0 && (subcommands.length === 0 || flags.length > 0)) found.push({ path: prefix.join(' '), flags });
  for (const children of await Promise.all(subcommands.map((name) => cliCommands([...prefix, name])))) found.push(...children);
  return found;
}

/** `jumpgate user add NAME [--key FILE]...` -> `user add`: the words before the first argument. */
function commandPath(cell: string): string {
  const words = cell.split(' ').slice(1);
  const end = words.findIndex((word) => !/^[a-z][a-z-]*$/.test(word));
  return words.slice(0, end === -1 ? undefined : end).join(' ');
}

describe('docs/reference.md', () => {
  test('lists every field of every resource, and no other', () => {
    assertSameSet(firstCells(section('### User')), Object.keys(UserSchema.shape), 'User fields');
    assertSameSet(firstCells(section('### Target')), Object.keys(TargetSchema.shape), 'Target fields');
    assertSameSet(firstCells(section('### Role')), Object.keys(RoleSchema.shape), 'Role fields');
    assertSameSet(firstCells(section('### Rule (an item of a role\'s `allow`)')), Object.keys(RuleSchema.shape), 'Rule fields');
    assertSameSet(firstCells(section('### Credential')), Object.keys(CredentialSchema.shape), 'Credential fields');
  });

  test('lists every access kind', () => {
    assertSameSet(firstCells(section('## Access kinds')), ACCESS_KINDS, 'access kinds');
  });

  test('lists every setting', () => {
    const paths = settingPaths(SettingsSchema as unknown as Walkable);
    assert.ok(paths.includes('ssh.listen') && paths.includes('audit.sinks[].url'), `the settings walk found ${paths.join(', ')}`);
    const defaults = SettingsSchema.parse({}) as unknown as Record<string, unknown>;
    const defaultOf = (name: string): unknown => name.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], defaults);
    assertSameSet(firstCells(section('## Settings')), paths, 'settings', (name) => `| \`${name}\` | \`${JSON.stringify(defaultOf(name)) ?? 'none'}\` | … |`);
  });

  test('lists every command with every flag it takes', { timeout: 120_000 }, async () => {
    const commands = await cliCommands();
    assert.ok(commands.some((c) => c.path === 'user add'), `the help walk found ${commands.map((c) => c.path).join(', ')}`);
    const rows = new Map(firstCells(section('## Commands')).map((cell) => [commandPath(cell), cell]));
    const flagsOf = (name: string) => commands.find((c) => c.path === name)?.flags.map((flag) => ` [${flag} …]`).join('') ?? '';
    assertSameSet([...rows.keys()], commands.map((c) => c.path), 'commands', (name) => `| \`jumpgate ${name}${flagsOf(name)}\` | … |`);
    for (const { path: name, flags } of commands) {
      const row = REFERENCE.split('\n').find((line) => line.startsWith(`| \`${rows.get(name)}\``)) ?? '';
      for (const flag of flags) assert.ok(row.includes(flag), `docs/reference.md: the row of jumpgate ${name} does not mention ${flag}`);
    }
  });
});
