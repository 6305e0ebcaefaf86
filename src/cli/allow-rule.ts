/**
 * `role add NAME --allow 'targets=db1,access=jump+session,ports=22,logins=root'`: one rule
 * of a Role written on one line. Fields are separated by `,`, list items by `+`, label
 * pairs by `:` (`labels=env:prod+zone:db`); a boolean field may stand alone (`mfa`).
 * The field names are the Role YAML's, read from the schema, so a field added there is
 * accepted here too; the result is then validated by the same schema as `apply`.
 */
import type { z } from 'zod';
import { RuleSchema } from '../domain/resources.js';
import { UsageError } from './cli-errors.js';

type FieldShape = 'list' | 'numbers' | 'labels' | 'boolean' | 'text';

function shapeOf(schema: z.ZodType): FieldShape {
  let inner = schema as unknown as { def: { type: string; innerType?: unknown; element?: { def: { type: string } } } };
  while (inner.def.innerType) inner = inner.def.innerType as typeof inner;
  switch (inner.def.type) {
    case 'array': return inner.def.element?.def.type === 'number' ? 'numbers' : 'list';
    case 'record': return 'labels';
    case 'boolean': return 'boolean';
    default: return 'text';
  }
}

export const RULE_FIELDS: ReadonlyMap<string, FieldShape> = new Map(
  Object.entries(RuleSchema.shape as Record<string, z.ZodType>).map(([name, schema]) => [name, shapeOf(schema)]),
);

/** Parses one `--allow` value into a rule object (not yet validated by RuleSchema). */
export function parseAllowText(text: string): Record<string, unknown> {
  const rule: Record<string, unknown> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq).trim();
    const value = eq < 0 ? null : part.slice(eq + 1).trim();
    const shape = RULE_FIELDS.get(key);
    if (!shape) throw new UsageError(`--allow ${text}: unknown field ${key}; the fields are ${[...RULE_FIELDS.keys()].join(', ')}`);
    if (key in rule) throw new UsageError(`--allow ${text}: ${key} is given twice`);
    if (value === null && shape !== 'boolean') throw new UsageError(`--allow ${text}: ${key} needs a value (${key}=…)`);
    rule[key] = fieldValue(text, key, shape, value);
  }
  if (Object.keys(rule).length === 0) throw new UsageError('--allow needs a rule such as targets=db1,access=jump+session');
  return rule;
}

function fieldValue(text: string, key: string, shape: FieldShape, value: string | null): unknown {
  const items = (value ?? '').split('+').map((item) => item.trim()).filter((item) => item !== '');
  switch (shape) {
    case 'boolean':
      if (value === null || value === 'true' || value === 'yes') return true;
      if (value === 'false' || value === 'no') return false;
      throw new UsageError(`--allow ${text}: ${key} must be true or false, not ${value}`);
    case 'numbers':
      return items.map((item) => {
        if (!/^\d{1,5}$/.test(item)) throw new UsageError(`--allow ${text}: ${key} must be numbers joined by +, not ${item}`);
        return Number(item);
      });
    case 'labels':
      return Object.fromEntries(items.map((item) => {
        const colon = item.indexOf(':');
        if (colon < 1) throw new UsageError(`--allow ${text}: ${key} must be key:value pairs joined by + (labels=env:prod), not ${item}`);
        return [item.slice(0, colon), item.slice(colon + 1)];
      }));
    case 'list':
      return items;
    case 'text':
      return value;
  }
}
