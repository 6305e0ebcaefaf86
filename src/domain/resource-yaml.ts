/**
 * Reads multi-document resource YAML and validates every document before anything is
 * written, so `apply` is all-or-nothing. Every error carries `file:line`.
 */
import { LineCounter, parseAllDocuments, isMap, isSeq, isPair, isScalar, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ResourceSchema, type Resource } from './resources.js';
import { describeIssue } from './issue-text.js';

export interface YamlError { file: string; line: number; message: string }

export class ResourceFileError extends Error {
  readonly code = 'INVALID_RESOURCES';
  constructor(readonly errors: YamlError[]) {
    super(errors.map((e) => `${e.file}:${e.line}: ${e.message}`).join('\n'));
  }
}

export interface ParsedResource { resource: Resource; file: string; line: number }

/**
 * What `get` shows beside a resource but nobody configures: a User's `grantedRoles` (roles
 * held by an approved access request, SPEC §12). `get -o yaml` then `apply` round-trips, so
 * apply drops it rather than refusing it.
 */
function withoutState(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || (value as { kind?: unknown }).kind !== 'User' || !('grantedRoles' in value)) return value;
  const { grantedRoles: _state, ...rest } = value as Record<string, unknown>;
  return rest;
}

/** Validates every document of the text; throws ResourceFileError listing all problems. */
export function parseResourceYaml(text: string, file: string): ParsedResource[] {
  const lines = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const errors: YamlError[] = [];
  const parsed: ParsedResource[] = [];
  const lineAt = (offset: number) => lines.linePos(offset).line;

  for (const doc of Array.isArray(documents) ? documents : [documents]) {
    if (doc.errors.length > 0) {
      // yaml's messages go on with an excerpt of the file on further lines.
      for (const e of doc.errors) errors.push({ file, line: lineAt(e.pos[0]), message: printable(firstLine(e.message)) });
      continue;
    }
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue; // an empty document (a stray `---`)
    const startLine = lineAt(doc.contents.range?.[0] ?? 0);
    let value: unknown;
    try {
      // yaml reports two problems only here: an alias with no anchor before it, and one
      // expanding past maxAliasCount (a "billion laughs" file). They are file errors too.
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      errors.push({ file, line: startLine, message: printable(firstLine(error instanceof Error ? error.message : String(error))) });
      continue;
    }
    const result = ResourceSchema.safeParse(withoutState(value), { reportInput: true });
    if (result.success) {
      parsed.push({ resource: result.data, file, line: startLine });
      continue;
    }
    const label = resourceLabel(value);
    for (const issue of result.error.issues) {
      const line = lineOfPath(doc, issuePath(issue), lineAt) ?? startLine;
      errors.push({ file, line, message: printable(`${label}${describeIssue(issue)}`) });
    }
  }
  errors.push(...duplicateErrors(parsed));
  if (errors.length > 0) throw new ResourceFileError(errors.sort((a, b) => a.line - b.line));
  return parsed;
}

function firstLine(text: string): string {
  return text.split(/\r\n|\r|\n/)[0].trim() || 'invalid YAML';
}

/**
 * Characters that break a `file:line: message` line or that a terminal acts on: C0 and
 * C1 controls, DEL, line and paragraph separators, bidirectional and invisible
 * formatting. A file from elsewhere may put them in a key, a kind or a name.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const KINDS = new Set(['User', 'Target', 'Role', 'Credential']);

/** `Target db1: `, naming a document by what it says it is, shortened when it says too much. */
function resourceLabel(value: unknown): string {
  if (value && typeof value === 'object') {
    const { kind, name } = value as Record<string, unknown>;
    if (typeof kind !== 'string' || !KINDS.has(kind)) return '';
    if (typeof name === 'string' && name !== '') return `${kind} ${name.length > 64 ? `${name.slice(0, 64)}…` : name}: `;
    return `${kind}: `;
  }
  return '';
}

function duplicateErrors(parsed: ParsedResource[]): YamlError[] {
  const seen = new Map<string, ParsedResource>();
  const errors: YamlError[] = [];
  for (const entry of parsed) {
    const key = `${entry.resource.kind}/${entry.resource.name}`;
    const first = seen.get(key);
    if (first) errors.push({ file: entry.file, line: entry.line, message: `${entry.resource.kind} ${entry.resource.name}: defined twice (first at line ${first.line})` });
    else seen.set(key, entry);
  }
  return errors;
}

/** Where an issue points: for an unknown field, the field itself rather than its object. */
export function issuePath(issue: z.core.$ZodIssue): PropertyKey[] {
  return issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : [...issue.path];
}

/** The line of the deepest node along the path that exists in the document. */
export function lineOfPath(doc: Document, path: readonly PropertyKey[], lineAt: (offset: number) => number): number | null {
  let node: Node | null = doc.contents;
  let line: number | null = node?.range ? lineAt(node.range[0]) : null;
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === step);
      if (!pair) break;
      const key = pair.key as Node;
      if (key.range) line = lineAt(key.range[0]);
      node = pair.value as Node | null;
      if (node?.range && !isMap(node) && !isSeq(node)) line = lineAt(node.range[0]);
    } else if (isSeq(node) && typeof step === 'number') {
      node = (node.items[step] as Node | undefined) ?? null;
      if (node?.range) line = lineAt(node.range[0]);
      else break;
    } else break;
  }
  return line;
}
