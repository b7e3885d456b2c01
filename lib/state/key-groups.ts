/**
 * Key groups, as in Flink's KeyGroupRangeAssignment: a key's group is
 * `murmurHash(hashCode(key)) % maxParallelism` and a group belongs to subtask
 * `floor(keyGroup * parallelism / maxParallelism)`. Keyed state is snapshotted by
 * key group, so a savepoint can be restored at another parallelism.
 *
 * `hashCode` follows Java's rules for the values a TypeScript key can be (String.hashCode,
 * Integer/Double.hashCode, Boolean.hashCode, Tuple.hashCode for arrays), so a string or
 * tuple key lands on the same subtask as it would in Flink.
 */

export const DEFAULT_LOWER_BOUND_MAX_PARALLELISM = 128;
export const UPPER_BOUND_MAX_PARALLELISM = 32768;

const f64 = new Float64Array(1);
const i32 = new Int32Array(f64.buffer);

/** Java's String.hashCode. */
export function stringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** A number Java would box as an Integer: a 32-bit int, not -0 (a Double: 1 / -0 is -Infinity). */
function isJavaInt(n: number): boolean {
  return (n | 0) === n && (n !== 0 || 1 / n > 0);
}

/** Java-style hashCode of a key value. */
export function hashCode(key: unknown): number {
  switch (typeof key) {
    case 'string':
      return stringHashCode(key);
    case 'number':
      if (isJavaInt(key)) return key; // Integer.hashCode
      f64[0] = key; // Double.hashCode: bits ^ (bits >>> 32)
      return (i32[0]! ^ i32[1]!) | 0;
    case 'boolean':
      return key ? 1231 : 1237;
    case 'bigint':
      return Number(BigInt.asIntN(32, key ^ (key >> 32n)));
    case 'undefined':
      return 0;
    case 'object': {
      if (key === null) return 0;
      if (key instanceof Date) return hashCode(key.getTime());
      let h = 0;
      if (Array.isArray(key)) {
        for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + hashCode(key[i])) | 0;
        return h;
      }
      const names = Object.keys(key).sort();
      for (const n of names) {
        h = (Math.imul(h, 31) + stringHashCode(n)) | 0;
        h = (Math.imul(h, 31) + hashCode((key as Record<string, unknown>)[n])) | 0;
      }
      return h;
    }
    default:
      throw new TypeError(`A key must be a string, number, boolean, bigint, Date, array or plain object, got ${typeof key}`);
  }
}

/** Flink's MathUtils.murmurHash(int): a non-negative, well-mixed int. */
export function murmurHash(code: number): number {
  code = Math.imul(code, 0xcc9e2d51);
  code = (code << 15) | (code >>> 17);
  code = Math.imul(code, 0x1b873593);
  code = (code << 13) | (code >>> 19);
  code = (Math.imul(code, 5) + 0xe6546b64) | 0;
  code ^= 4;
  code ^= code >>> 16;
  code = Math.imul(code, 0x85ebca6b);
  code ^= code >>> 13;
  code = Math.imul(code, 0xc2b2ae35);
  code ^= code >>> 16;
  if (code >= 0) return code;
  if (code !== -2147483648) return -code;
  return 0;
}

/** Flink's "Assigned key must not be null!", for a key selector that returned null or undefined. */
export function missingKeyError(key: null | undefined): TypeError {
  return new TypeError(`Assigned key must not be ${key}: the key selector found no key in the record (a missing field?)`);
}

export function assignToKeyGroup(key: unknown, maxParallelism: number): number {
  // An int key (the common case) without the call into hashCode, whose size keeps it from being inlined.
  if (typeof key === 'number' && isJavaInt(key)) return murmurHash(key) % maxParallelism;
  // Flink's checkNotNull: a selector that finds no key (a missing field, say) would otherwise put
  // every such record under one key and silently merge their aggregates.
  if (key === undefined || key === null) throw missingKeyError(key);
  return murmurHash(hashCode(key)) % maxParallelism;
}

export function computeOperatorIndexForKeyGroup(maxParallelism: number, parallelism: number, keyGroup: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

export function assignKeyToParallelOperator(key: unknown, maxParallelism: number, parallelism: number): number {
  return computeOperatorIndexForKeyGroup(maxParallelism, parallelism, assignToKeyGroup(key, maxParallelism));
}

/** The key groups [start, end] owned by one subtask (KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex). */
export function keyGroupRangeForSubtask(maxParallelism: number, parallelism: number, subtask: number): { start: number; end: number } {
  const start = Math.floor((subtask * maxParallelism + parallelism - 1) / parallelism);
  const end = Math.floor(((subtask + 1) * maxParallelism - 1) / parallelism);
  return { start, end };
}

/** Flink's default max parallelism for a given parallelism: roundUpToPowerOfTwo(1.5 p), within [128, 32768]. */
export function computeDefaultMaxParallelism(parallelism: number): number {
  const wanted = parallelism + Math.floor(parallelism / 2);
  let pow = 1;
  while (pow < wanted) pow *= 2;
  return Math.min(Math.max(pow, DEFAULT_LOWER_BOUND_MAX_PARALLELISM), UPPER_BOUND_MAX_PARALLELISM);
}
