import type { IncomingMessage } from 'node:http';
import {
  forEachOpenApiProcedure,
  getInputOutputParsers,
  getPathRegExp,
  normalizePath,
  type OpenApiMeta,
  type OpenApiRouter,
} from 'trpc-to-openapi';
import { jsonProblem, type MalformedInput, malformed } from './wire-input.js';

/**
 * REST inputs without loosening tRPC (SPEC §6.1). trpc-to-openapi coerces by setting `coerce` on
 * the procedures' own zod schemas, for bodies and query strings alike; tRPC validates with the
 * same schema objects, so after one REST call `"5"` passed for a number over tRPC too, and
 * `"false"` became `true` in a REST body. Here its coercion is switched off for good and query
 * strings, the only text that must become numbers and booleans, are typed from the schema.
 */

interface Def {
  type: string;
  coerce?: boolean;
  [key: string]: unknown;
}

const defOf = (value: unknown): Def | undefined =>
  (value as { _zod?: { def?: Def } } | null | undefined)?._zod?.def;

const COERCIBLE = new Set(['number', 'boolean', 'bigint', 'date']);

/** Every schema definition reachable from `schema`: fields, wrappers, pipes, unions, elements. */
function* definitions(schema: unknown, seen = new Set<Def>()): Generator<Def> {
  const def = defOf(schema);
  if (!def || seen.has(def)) return;
  seen.add(def);
  yield def;
  for (const [key, value] of Object.entries(def)) {
    if (key === 'getter' && typeof value === 'function') yield* definitions(value(), seen);
    else if (Array.isArray(value)) for (const item of value) yield* definitions(item, seen);
    else if (key === 'shape' && value && typeof value === 'object') {
      for (const field of Object.values(value)) yield* definitions(field, seen);
    } else yield* definitions(value, seen);
  }
}

/**
 * Makes `coerce` read false and ignore writes on every number, boolean, bigint and date schema
 * in the REST procedures' inputs, so the adapter's `_def.coerce = true` changes nothing. A schema
 * built with `z.coerce` keeps its coercion everywhere, as written.
 */
export function pinCoercion(router: OpenApiRouter): void {
  forEachOpenApiProcedure(router._def.procedures, ({ procedure }) => {
    for (const def of definitions(getInputOutputParsers(procedure).inputParser)) {
      if (!COERCIBLE.has(def.type) || def.coerce === true) continue;
      // Pinned already (another server in this process, or a schema two procedures share).
      if (Object.getOwnPropertyDescriptor(def, 'coerce')?.set) continue;
      Object.defineProperty(def, 'coerce', { get: () => false, set: () => {}, enumerable: false });
    }
  });
}

type Kind = 'number' | 'boolean' | 'bigint' | 'date' | 'text';
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch']);

/** What a raw value must be for `schema` to take it: wrappers and defaults off, a pipe's input. */
function inner(schema: unknown): Def | undefined {
  let def = defOf(schema);
  for (let depth = 0; def && depth < 16; depth++) {
    if (WRAPPERS.has(def.type)) def = defOf(def.innerType);
    else if (def.type === 'pipe') def = defOf(def.in);
    else if (def.type === 'lazy' && typeof def.getter === 'function') def = defOf(def.getter());
    else return def;
  }
  return def;
}

function kindOf(def: Def | undefined): { kind: Kind; list: boolean } {
  const list = def?.type === 'array';
  const leaf = list ? inner(def?.element) : def;
  const kind = leaf && COERCIBLE.has(leaf.type) ? (leaf.type as Kind) : 'text';
  return { kind, list };
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A query string value as the schema's type; anything else stays text for zod to refuse. */
function typed(kind: Kind, text: string): unknown {
  switch (kind) {
    case 'number':
      return NUMBER.test(text) ? Number(text) : text;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'bigint':
      return /^[+-]?\d{1,40}$/.test(text) ? BigInt(text) : text;
    case 'date': {
      const date = new Date(text);
      return Number.isNaN(date.getTime()) ? text : date;
    }
    default:
      return text;
  }
}

interface QueryRoute {
  method: string;
  pattern: RegExp;
  fields: Map<string, { kind: Kind; list: boolean }>;
}

/**
 * Types the query string of GET and DELETE routes from their input schemas, found the way the
 * adapter finds them. The result goes to `req.query`, where the adapter reads it instead of the
 * URL: one list per name, of which it passes on the single value or the whole list.
 */
export function createQueryTyper(router: OpenApiRouter) {
  const routes: QueryRoute[] = [];
  forEachOpenApiProcedure<OpenApiMeta>(router._def.procedures, ({ procedure, meta }) => {
    const { method, path } = meta.openapi ?? {};
    if ((method !== 'GET' && method !== 'DELETE') || !path) return;
    const input = inner(getInputOutputParsers(procedure).inputParser);
    const shape = input?.type === 'object' ? (input.shape as Record<string, unknown>) : {};
    const fields = new Map(
      Object.entries(shape).map(([name, field]) => [name, kindOf(inner(field))]),
    );
    routes.push({ method, pattern: getPathRegExp(normalizePath(path)), fields });
  });

  return (method: string, url: URL): Record<string, unknown[]> => {
    const path = normalizePath(url.pathname);
    const route = routes.find((r) => r.method === method && r.pattern.test(path));
    // No prototype: a parameter named `constructor` or `__proto__` is just an unknown name.
    const query: Record<string, unknown[]> = Object.create(null);
    for (const [name, text] of url.searchParams) {
      // An empty value (`?limit=`) is no value: the default applies.
      if (text === '' || name === '__proto__') continue;
      const field = route?.fields.get(name) ?? { kind: 'text', list: false };
      query[name] ??= [];
      query[name].push(typed(field.kind, text));
    }
    return query;
  };
}

/**
 * Reads a JSON body for the adapter (which takes `req.body` when present): `undefined` when
 * empty, the parsed object, or a malformed-input marker when it is no JSON object or fails the
 * wire checks; `'too-large'` past `limit` bytes. The adapter would spread a string or an array
 * into an object (and a `null` or a number into `{}`), and re-serialize deep nesting until the
 * stack ran out.
 */
export function readJsonBody(
  req: IncomingMessage,
  limit: number,
): Promise<Record<string, unknown> | MalformedInput | undefined | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.resume();
      resolve('too-large');
    };
    req.on('data', onData);
    req.once('error', reject);
    req.once('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return resolve(malformed('The request body is not valid JSON'));
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return resolve(malformed('The request body must be a JSON object'));
      }
      const problem = jsonProblem(value);
      resolve(problem ? malformed(problem) : (value as Record<string, unknown>));
    });
  });
}
