import type { StepInput } from '@conveyor/contracts';

/**
 * Picks `path` out of `value`: dotted keys, with `*` mapping the rest of the path over an
 * array (`*.counted` of `[{counted: 1}, {counted: 2}]` is `[1, 2]`). Missing parts are null.
 */
export function selectPath(value: unknown, path: string | undefined): unknown {
  if (path === undefined) return value;
  const walk = (v: unknown, keys: string[]): unknown => {
    if (keys.length === 0) return v;
    const [key, ...rest] = keys as [string, ...string[]];
    if (key === '*') return Array.isArray(v) ? v.map((item) => walk(item, rest)) : null;
    if (Array.isArray(v) && /^\d+$/.test(key)) return walk(v[Number(key)] ?? null, rest);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
    return Object.hasOwn(v, key) ? walk((v as Record<string, unknown>)[key], rest) : null;
  };
  return walk(value, path.split('.'));
}

/**
 * A copy of `payload` with the previous output placed at `input.into` (objects are created
 * along the path; a value there is replaced). `as: "json"` places it as JSON text.
 */
export function placeInput(payload: unknown, input: StepInput, output: unknown): unknown {
  const picked = selectPath(output, input.select);
  const value = input.as === 'json' ? JSON.stringify(picked) : picked;
  const root: Record<string, unknown> =
    typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? (structuredClone(payload) as Record<string, unknown>)
      : {};
  const keys = input.into.split('.');
  let at = root;
  for (const key of keys.slice(0, -1)) {
    const next = at[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  at[keys.at(-1)!] = value;
  return root;
}
