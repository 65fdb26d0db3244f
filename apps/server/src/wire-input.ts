/**
 * Reading inputs off the wire (SPEC §6.1 "Bad wire input"). Nothing here throws: an input that is
 * not acceptable becomes a marker that the first middleware of every procedure turns into
 * BAD_REQUEST INVALID_INPUT, before authentication or anything else runs. A throw would reach
 * clients as tRPC's PARSE_ERROR (over the WebSocket, answered to no call id) and would only stop
 * the procedures that read their input.
 */

const MALFORMED = Symbol('malformed input');

/** What an unacceptable input decodes to; copied by spreading (REST), it still reads as one. */
export type MalformedInput = Readonly<Record<typeof MALFORMED, string>>;

export function malformed(problem: string): MalformedInput {
  return Object.freeze({ [MALFORMED]: problem });
}

/** Why `value` is a malformed input, or undefined when it is an input like any other. */
export function malformedProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !(MALFORMED in value)) return undefined;
  return (value as MalformedInput)[MALFORMED];
}

/** Far deeper than any procedure's input; deep enough to stop recursion anywhere downstream. */
export const MAX_INPUT_DEPTH = 32;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Keys that reach or replace a prototype when assigned (superjson refuses them in paths too). */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Why a JSON value (as JSON.parse returns it) is no acceptable input: nested too deeply, or
 * carrying a `__proto__` key, which copies and merges downstream would turn into a prototype.
 */
export function jsonProblem(value: unknown): string | undefined {
  const pending: { node: unknown; depth: number }[] = [{ node: value, depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { node, depth } = next;
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= MAX_INPUT_DEPTH) return `The input nests deeper than ${MAX_INPUT_DEPTH} levels`;
    for (const [key, child] of Object.entries(node)) {
      if (key === '__proto__') return 'The input must not use "__proto__" as a key';
      pending.push({ node: child, depth: depth + 1 });
    }
  }
  return undefined;
}

/** superjson's path syntax (format v1): segments joined by `.`, with `\.` and `\\` escapes. */
function parsePath(text: string): string[] | undefined {
  const segments: string[] = [];
  let segment = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '\\') {
      const escaped = text[i + 1];
      if (escaped !== '.' && escaped !== '\\') return undefined;
      segment += escaped;
      i++;
    } else if (char === '.') {
      segments.push(segment);
      segment = '';
    } else {
      segment += char;
    }
  }
  segments.push(segment);
  return segments;
}

/**
 * The superjson annotations an input may carry: `undefined`, the numbers JSON cannot write, and
 * dates. Maps, sets, bigints, regular expressions, errors, classes and symbols are no procedure's
 * input; some of them cost quadratic time or run constructors on untrusted data to decode.
 */
const UNTRANSFORM: Record<string, (value: unknown) => { value: unknown } | { problem: string }> = {
  undefined: () => ({ value: undefined }),
  number: (value) =>
    typeof value === 'string' && ['NaN', 'Infinity', '-Infinity', '-0'].includes(value)
      ? { value: Number(value) }
      : { problem: 'A "number" annotation only carries NaN, Infinity, -Infinity or -0' },
  Date: (value) =>
    typeof value === 'string'
      ? { value: new Date(value) }
      : { problem: 'A "Date" annotation needs a string' },
};

type Annotation = { path: string[]; type: string };

/** Flattens `meta.values` (a tree of `{ key: subtree }` records with `[type]` leaves). */
function readAnnotations(tree: unknown, path: string[], out: Annotation[]): string | undefined {
  if (path.length > MAX_INPUT_DEPTH) return 'meta.values nests too deeply';
  if (Array.isArray(tree)) {
    const [type, ...rest] = tree;
    if (typeof type !== 'string' || rest.length > 0 || !Object.hasOwn(UNTRANSFORM, type)) {
      return `meta.values holds an unsupported type: ${JSON.stringify(type)?.slice(0, 40)}`;
    }
    out.push({ path, type });
    return undefined;
  }
  if (!isRecord(tree)) return 'meta.values must be a tree of annotations';
  for (const [key, subtree] of Object.entries(tree)) {
    const problem =
      pathProblem(key) ?? readAnnotations(subtree, [...path, ...(parsePath(key) ?? [])], out);
    if (problem) return problem;
  }
  return undefined;
}

function pathProblem(key: string): string | undefined {
  const segments = parsePath(key);
  if (!segments) return `meta holds a malformed path: ${JSON.stringify(key.slice(0, 40))}`;
  const forbidden = segments.find((segment) => PROTOTYPE_KEYS.has(segment));
  return forbidden ? `meta must not use "${forbidden}" in a path` : undefined;
}

/** The object or array holding `path`'s last segment inside `json`, when every step exists. */
function parentOf(json: unknown, path: string[]): Record<string, unknown> | unknown[] | undefined {
  let node = json;
  for (const segment of path.slice(0, -1)) {
    if (Array.isArray(node) && /^\d+$/.test(segment)) node = node[Number(segment)];
    else if (isRecord(node) && Object.hasOwn(node, segment)) node = node[segment];
    else return undefined;
  }
  return Array.isArray(node) || isRecord(node) ? node : undefined;
}

/** Whether `path` is in `json`; an `undefined` annotation may name a key JSON left out. */
function exists(json: unknown, path: string[], type?: string): boolean {
  const last = path.at(-1);
  if (last === undefined) return true;
  const parent = parentOf(json, path);
  if (Array.isArray(parent)) return /^\d+$/.test(last) && Number(last) < parent.length;
  return parent !== undefined && (type === 'undefined' || Object.hasOwn(parent, last));
}

/** `referentialEqualities`: `{ path: paths[] }`, or `[rootPaths, { path: paths[] }?]`. */
function equalitiesProblem(json: unknown, annotations: unknown): string | undefined {
  const [root, other] = Array.isArray(annotations) ? annotations : [[], annotations];
  const groups = isRecord(other) ? Object.entries(other) : other === undefined ? [] : undefined;
  if (!Array.isArray(root) || !groups) return 'meta.referentialEqualities is malformed';
  if (root.length > 0) return 'A cyclic input is not supported';
  for (const [key, paths] of groups) {
    if (!Array.isArray(paths)) return 'meta.referentialEqualities is malformed';
    for (const text of [key, ...paths]) {
      if (typeof text !== 'string') return 'meta.referentialEqualities is malformed';
      const problem = pathProblem(text);
      if (problem) return problem;
      if (!exists(json, parsePath(text) ?? [])) return 'meta refers to a path the input lacks';
    }
  }
  return undefined;
}

/**
 * tRPC's input deserializer: superjson's wire form `{ json, meta? }`, checked before anything is
 * built from it. Identity annotations (`referentialEqualities`) are checked but not applied: the
 * copies `json` already holds are equal, and no input can become cyclic.
 */
export function deserializeInput(payload: unknown): unknown {
  // No input at all (a WebSocket call without `input`).
  if (payload === undefined) return undefined;
  if (!isRecord(payload) || Object.keys(payload).some((key) => key !== 'json' && key !== 'meta')) {
    return malformed('The input must be superjson: { json, meta? }');
  }
  const { json, meta } = payload;
  const problem = jsonProblem(json);
  if (problem) return malformed(problem);
  if (meta === undefined) return json;
  if (!isRecord(meta) || meta.v !== 1) return malformed('meta must be an object with v: 1');
  const unknownKey = Object.keys(meta).find(
    (key) => key !== 'v' && key !== 'values' && key !== 'referentialEqualities',
  );
  if (unknownKey)
    return malformed(`meta holds an unknown key: ${JSON.stringify(unknownKey.slice(0, 40))}`);

  const annotations: Annotation[] = [];
  const metaProblem =
    (meta.values === undefined ? undefined : readAnnotations(meta.values, [], annotations)) ??
    (meta.referentialEqualities === undefined
      ? undefined
      : equalitiesProblem(json, meta.referentialEqualities));
  if (metaProblem) return malformed(metaProblem);

  let result = annotations.length > 0 ? structuredClone(json) : json;
  for (const { path, type } of annotations) {
    const untransform = UNTRANSFORM[type] ?? (() => ({ problem: 'Unsupported annotation' }));
    const key = path.at(-1);
    const holder = key === undefined ? undefined : parentOf(result, path);
    if (key !== undefined && !(holder && exists(result, path, type))) {
      return malformed('meta refers to a path the input lacks');
    }
    const outcome = untransform(key === undefined ? result : holder?.[key as never]);
    if ('problem' in outcome) return malformed(outcome.problem);
    if (key === undefined) result = outcome.value;
    else (holder as Record<string, unknown>)[key] = outcome.value;
  }
  return result;
}
