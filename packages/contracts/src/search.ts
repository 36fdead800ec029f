/**
 * Payload search (contract): what a job type declares searchable, and the keys a job stores
 * for it. A job's payload is kept as JSON text, so the store cannot query inside it; instead
 * the keys below are extracted once, when the job is created, into an indexed array
 * (`searchKeys`), and a search is an equality on one of them:
 *
 * - a field key `<path>=<value>` per scalar (string, number, boolean) at a searchable path,
 *   one per element when the path holds an array of scalars, e.g. `to=alice@example.com`;
 * - a word key `~<word>` per word of those string values, e.g. `~alice`, `~example`.
 *
 * Values and words are lower-cased and cut to {@link SEARCH_LIMITS}; a search value is
 * normalized the same way, so a match is exact on the first `valueChars` characters,
 * ignoring case.
 */

/** Bounds of what one job stores for search. */
export const SEARCH_LIMITS = Object.freeze({
  /** Searchable paths a job type may declare. */
  paths: 16,
  /** Segments of one path (`a.b.c` has 3). */
  depth: 4,
  /** Characters of a value kept (longer values are cut, searches are cut alike). */
  valueChars: 64,
  /** Field keys per job (the first ones in declared order win). */
  fieldKeys: 24,
  /** Word keys per job. */
  wordKeys: 24,
  /** Shortest and longest word kept. */
  wordMin: 2,
  wordMax: 32,
});

/** A searchable payload path: dotted segments of letters, digits, `_` and `-`, e.g. `customer.id`. */
export const SEARCH_PATH = /^[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9_-]{1,64}){0,3}$/;

/** Why `path` cannot be a searchable path, or null when it can. */
export function searchPathProblem(path: string): string | null {
  if (!SEARCH_PATH.test(path))
    return `must be dotted names of letters, digits, _ and - (at most ${SEARCH_LIMITS.depth} levels), e.g. customer.id`;
  return null;
}

/** The normalized form of a value as a field key stores it: lower-case, trimmed, cut. */
export function searchValue(value: string): string {
  return value.trim().toLowerCase().slice(0, SEARCH_LIMITS.valueChars);
}

/** The field key that a search of `path` for `value` looks up. */
export function fieldSearchKey(path: string, value: string): string {
  return `${path}=${searchValue(value)}`;
}

const WORD = /[\p{L}\p{N}]+/gu;

/** The words of a text as word keys (`~word`), unique, in order of appearance. */
export function wordSearchKeys(text: string, max: number = SEARCH_LIMITS.wordKeys): string[] {
  const out = new Set<string>();
  for (const [word] of text.toLowerCase().matchAll(WORD)) {
    if (out.size >= max) break;
    if (word.length >= SEARCH_LIMITS.wordMin && word.length <= SEARCH_LIMITS.wordMax)
      out.add(`~${word}`);
  }
  return [...out];
}

type Scalar = string | number | boolean;
const isScalar = (v: unknown): v is Scalar =>
  typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean';

function valuesAt(payload: unknown, path: string): Scalar[] {
  let at: unknown = payload;
  for (const segment of path.split('.')) {
    if (at === null || typeof at !== 'object' || Array.isArray(at)) return [];
    if (!Object.hasOwn(at, segment)) return [];
    at = (at as Record<string, unknown>)[segment];
  }
  if (isScalar(at)) return [at];
  return Array.isArray(at) ? at.filter(isScalar) : [];
}

/** Without a declaration: the payload's top-level fields that hold a scalar or scalars. */
function defaultPaths(payload: unknown): string[] {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return [];
  return Object.keys(payload)
    .filter((k) => SEARCH_PATH.test(k))
    .slice(0, SEARCH_LIMITS.paths);
}

/**
 * The search keys of a payload: field keys for the scalars at `paths` (the type's declared
 * searchable paths; undefined = every top-level field holding a scalar or an array of them),
 * then word keys for the words of those that are strings. Capped by {@link SEARCH_LIMITS}.
 */
export function searchKeysOf(payload: unknown, paths: readonly string[] | undefined): string[] {
  const fields = new Set<string>();
  const words = new Set<string>();
  for (const path of paths ?? defaultPaths(payload)) {
    for (const v of valuesAt(payload, path)) {
      if (fields.size >= SEARCH_LIMITS.fieldKeys) break;
      const text = String(v);
      fields.add(fieldSearchKey(path, text));
      if (typeof v === 'string' && words.size < SEARCH_LIMITS.wordKeys)
        for (const w of wordSearchKeys(text.slice(0, 1000), SEARCH_LIMITS.wordKeys - words.size))
          words.add(w);
    }
  }
  return [...fields, ...words];
}
