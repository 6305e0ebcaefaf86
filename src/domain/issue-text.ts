import type { z } from 'zod';

/** One schema issue as `field message`, e.g. `port must be 1-65535` or `unknown field "prot"`. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const field = formatPath(issue.path);
  const prefix = field ? `${field} ` : '';
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${prefix ? `${field}: ` : ''}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_type':
      return issue.input === undefined ? `${prefix}is required` : `${prefix}must be ${article(issue.expected)}`;
    case 'invalid_value':
      return `${prefix}must be one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_union':
      // A discriminated union reports an unknown `kind` this way.
      if (field === 'kind') return issue.input === undefined ? 'kind is required' : 'kind must be one of User, Target, Role, Credential';
      return `${prefix}has an invalid value`;
    default:
      return `${prefix}${issue.message}`;
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, step) =>
    typeof step === 'number' ? `${text}[${step}]` : text ? `${text}.${String(step)}` : String(step), '');
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
