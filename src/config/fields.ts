// zod building blocks for a file where every scalar is a string (see
// yaml-tree.ts): strings, integers, booleans and enums with the messages the
// user sees. Must not know any config key names.
import { z } from 'zod';

export const INT_MAX = 2147483647;

/** How a bad input is quoted in a message. */
export function shown(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'an empty value';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return `'${String(input)}'`;
}

/** A non-empty single string (nutcracker rejects empty values too). */
export function str(what = 'a value') {
  return z.string({ error: (iss) => (iss.input === undefined ? 'is required' : `must be ${what} (got ${shown(iss.input)})`) })
    .min(1, { error: 'must not be empty' });
}

/**
 * A decimal integer, digits only (no fraction), as nutcracker reads numbers;
 * a leading minus only where `min` is negative (shardgate's own settings).
 */
export function int(min = 0, max = INT_MAX) {
  return str('an integer')
    .regex(min < 0 ? /^-?[0-9]+$/ : /^[0-9]+$/, { error: (iss) => `must be an integer from ${min} to ${max} (got ${shown(iss.input)})` })
    .transform((s) => Number(s))
    .refine((n) => n >= min && n <= max, { error: (iss) => `must be an integer from ${min} to ${max} (got '${String(iss.input)}')` });
}

/** `true` or `false` exactly (nutcracker accepts no other spelling). */
export function bool() {
  return z.enum(['true', 'false'], { error: (iss) => `must be true or false (got ${shown(iss.input)})` })
    .transform((s) => s === 'true');
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: (iss) => `must be one of ${values.join(', ')} (got ${shown(iss.input)})` });
}

/** A list of strings (block or flow style). */
export function list<T extends z.ZodType>(item: T, what: string) {
  return z.array(item, { error: (iss) => (iss.input === undefined ? 'is required' : `must be a list of ${what} (got ${shown(iss.input)})`) });
}

/** A mapping with only the given keys; an unknown key is an error naming it. */
export function section<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject(shape, { error: (iss) => (iss.code === 'unrecognized_keys' ? undefined : `must be a mapping (got ${shown(iss.input)})`) });
}
