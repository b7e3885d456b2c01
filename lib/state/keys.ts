/**
 * Keys are compared by value. Primitive keys are used as they are; arrays (tuples), Dates and
 * plain objects become a canonical string so that two equal tuples address the same state.
 */
export type Key = string | number | boolean | bigint | null | undefined | Date | readonly unknown[] | Record<string, unknown>;

const COMPOSITE = '\u0000k:';

export function canonicalKey(key: unknown): unknown {
  if (typeof key !== 'object' || key === null) return key;
  return COMPOSITE + stableStringify(key);
}

function stableStringify(v: unknown): string {
  if (typeof v !== 'object' || v === null) {
    if (typeof v === 'bigint') return v.toString() + 'n';
    if (v === undefined) return 'u';
    return JSON.stringify(v);
  }
  if (v instanceof Date) return 'D' + v.getTime();
  if (Array.isArray(v)) return '[' + v.map(stableStringify).join(',') + ']';
  const o = v as Record<string, unknown>;
  return '{' + Object.keys(o).sort().map((k) => JSON.stringify(k) + ':' + stableStringify(o[k])).join(',') + '}';
}

/** Orders keys for deterministic BATCH output: numbers before strings, then by value. */
export function compareKeys(a: unknown, b: unknown): number {
  const ta = typeof a;
  const tb = typeof b;
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (ta === 'number' || ta === 'bigint') return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  const sa = ta === 'string' ? (a as string) : stableStringify(a);
  const sb = tb === 'string' ? (b as string) : stableStringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
