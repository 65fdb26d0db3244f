import superjson, { type SuperJSONResult } from 'superjson';
import { deserializeInput } from './wire-input.js';

/**
 * True when `value` is what JSON carries unchanged: null, strings, booleans, finite numbers other
 * than -0, arrays without holes or `undefined`, and plain objects of those. For such a value
 * superjson's output is exactly `{ json: value }`, with no `meta`.
 */
export function isPlainJson(value: unknown, depth = 0): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (depth > 32) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i += 1) {
          if (!isPlainJson(value[i], depth + 1)) return false;
        }
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) {
        if (!isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/**
 * superjson's serialize without its tree walk for plain JSON, which is nearly every response:
 * the bytes on the wire are the same, so clients deserialize with superjson as before.
 */
export function serialize(value: unknown): SuperJSONResult {
  return isPlainJson(value)
    ? { json: value as SuperJSONResult['json'] }
    : superjson.serialize(value);
}

/**
 * The tRPC transformer: superjson in, read strictly (see wire-input.ts), and superjson out with
 * the plain-JSON shortcut.
 */
export const transformer = {
  input: { serialize: superjson.serialize.bind(superjson), deserialize: deserializeInput },
  output: { serialize, deserialize: superjson.deserialize.bind(superjson) },
};
