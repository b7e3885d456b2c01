/**
 * Key -> key group -> subtask, as Flink's KeyGroupRangeAssignment does it. The lib is checked
 * against an independent BigInt transcription of Java's String.hashCode, Integer.hashCode,
 * Tuple2.hashCode and MathUtils.murmurHash, and against what a running job actually does.
 */
import { afterAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assignKeyToParallelOperator,
  assignToKeyGroup,
  computeDefaultMaxParallelism,
  RichMapFunction,
  StreamExecutionEnvironment,
} from '../../lib/index.ts';
import { murmurHash } from '../../lib/state/key-groups.ts';
import { lines, removeTempDirs, runCli, TaggingSink, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

// ---- Reference model: Java semantics in BigInt arithmetic modulo 2^32 -------------------------
const M32 = 0xffffffffn;
const u32 = (n: number | bigint): bigint => BigInt.asUintN(32, BigInt(n));
const mul = (a: bigint, b: bigint): bigint => (a * b) & M32;
const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (32n - r))) & M32;
const toInt = (x: bigint): number => Number(BigInt.asIntN(32, x));

/** org.apache.flink.util.MathUtils.murmurHash(int). */
function javaMurmurHash(code: number): number {
  let h = u32(code);
  h = mul(h, 0xcc9e2d51n);
  h = rotl(h, 15n);
  h = mul(h, 0x1b873593n);
  h = rotl(h, 13n);
  h = (mul(h, 5n) + 0xe6546b64n) & M32;
  h ^= 4n;
  h ^= h >> 16n; // bitMix
  h = mul(h, 0x85ebca6bn);
  h ^= h >> 13n;
  h = mul(h, 0xc2b2ae35n);
  h ^= h >> 16n;
  const s = toInt(h);
  if (s >= 0) return s;
  return s !== -2147483648 ? -s : 0;
}
/** java.lang.String.hashCode over UTF-16 code units. */
function javaStringHash(s: string): number {
  let h = 0n;
  for (let i = 0; i < s.length; i++) h = (h * 31n + BigInt(s.charCodeAt(i))) & M32;
  return toInt(h);
}
/** Tuple2<String, Integer>.hashCode. */
function javaTuple2Hash(t: [string, number]): number {
  return toInt((u32(javaStringHash(t[0])) * 31n + u32(t[1])) & M32);
}
/** Long.hashCode: (int) (value ^ (value >>> 32)). */
function javaLongHash(v: bigint): number {
  const bits = BigInt.asUintN(64, v);
  return toInt((bits ^ (bits >> 32n)) & M32);
}
/** Double.hashCode: the Long.hashCode of doubleToLongBits. */
function javaDoubleHash(x: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return javaLongHash(view.getBigUint64(0));
}
type JKey = string | number | boolean | bigint | [string, number];
/** An int32-valued number is a Java Integer; any other number a Double (the lib's documented rule). */
function javaHash(key: JKey): number {
  if (typeof key === 'string') return javaStringHash(key);
  if (typeof key === 'number') return Number.isInteger(key) && key === (key | 0) && !Object.is(key, -0) ? key : javaDoubleHash(key);
  if (typeof key === 'boolean') return key ? 1231 : 1237; // Boolean.hashCode
  if (typeof key === 'bigint') return javaLongHash(key);
  return javaTuple2Hash(key);
}
/** KeyGroupRangeAssignment.assignKeyToParallelOperator. */
function referenceSubtask(key: JKey, maxParallelism: number, parallelism: number): number {
  const keyGroup = javaMurmurHash(javaHash(key)) % maxParallelism;
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

const keyArb: fc.Arbitrary<string | number | [string, number]> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.integer(),
  fc.tuple(fc.string({ maxLength: 6 }), fc.integer()),
);

/** Wider keys for the pure-function checks: doubles, booleans and longs (bigint) too. */
const wideKeyArb: fc.Arbitrary<JKey> = fc.oneof(
  keyArb,
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
);

describe('key group assignment', () => {
  test("known values from Flink's Java code", () => {
    expect(javaMurmurHash(2)).toBe(1085422463); // the reference model agrees with Java
    expect(murmurHash(2)).toBe(1085422463);
    expect(assignKeyToParallelOperator('hello', 128, 4)).toBe(1);
    expect(assignKeyToParallelOperator('flink', 128, 4)).toBe(3);
    // The int fast path: -0 is a Double (not Integer 0), the int32 bounds are Integers, 2^31 a Double.
    for (const k of [0, -0, 1, -1, 2147483647, -2147483648, 2147483648, 0.5]) expect(assignToKeyGroup(k, 128)).toBe(javaMurmurHash(javaHash(k)) % 128);
    expect(assignToKeyGroup(-0, 128)).not.toBe(assignToKeyGroup(0, 128));
    expect(computeDefaultMaxParallelism(4)).toBe(128);
    expect(computeDefaultMaxParallelism(100)).toBe(256);
    expect(computeDefaultMaxParallelism(30000)).toBe(32768);
  });

  test('murmurHash equals the Java reference for every int', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.constantFrom(0, -1, 1, 2147483647, -2147483648)), (code) => {
        expect(murmurHash(code)).toBe(javaMurmurHash(code));
      }),
      { numRuns: 2000 },
    );
  });

  test('assignKeyToParallelOperator is deterministic, in range, by value, and equals the Java reference', () => {
    fc.assert(
      fc.property(wideKeyArb, fc.integer({ min: 1, max: 8 }), fc.constantFrom(8, 128, 256, 4096, 32768), (key, p, maxP) => {
        const a = assignKeyToParallelOperator(key, maxP, p);
        const copy = structuredClone(key); // an equal key, another object
        expect(assignKeyToParallelOperator(copy, maxP, p)).toBe(a);
        expect(a).toBeGreaterThanOrEqual(0);
        expect(a).toBeLessThan(p);
        expect(Number.isInteger(a)).toBe(true);
        const kg = assignToKeyGroup(key, maxP);
        expect(kg).toBeGreaterThanOrEqual(0);
        expect(kg).toBeLessThan(maxP);
        expect(a).toBe(referenceSubtask(key, maxP, p));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('keyBy in a running job', () => {
  const keysArb = fc.array(keyArb, { minLength: 1, maxLength: 40 });

  test('every key reaches exactly the subtask assignKeyToParallelOperator names (observed by the sink)', async () => {
    await fc.assert(
      fc.asyncProperty(keysArb, fc.integer({ min: 1, max: 8 }), async (keys, p) => {
        const env = StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 8 });
        const sink = new TaggingSink<string | number | [string, number]>();
        env.fromCollection(keys).keyBy((k) => k).sinkTo(sink);
        await env.execute();
        expect(sink.received).toHaveLength(keys.length);
        for (const r of sink.received) {
          expect(r.parallelism).toBe(p);
          expect(r.subtask).toBe(referenceSubtask(r.value, 128, p));
        }
      }),
      { numRuns: 40 },
    );
  });

  test('pipeline.max-parallelism changes the key groups the same way (sink observes the subtask)', async () => {
    await fc.assert(
      fc.asyncProperty(keysArb, fc.integer({ min: 1, max: 8 }), fc.constantFrom(8, 16, 300, 1024), async (keys, p, maxP) => {
        const env = StreamExecutionEnvironment.create({
          'parallelism.default': p,
          'taskmanager.numberOfTaskSlots': 8,
          'pipeline.max-parallelism': maxP,
        });
        const sink = new TaggingSink<string | number | [string, number]>();
        env.fromCollection(keys).keyBy((k) => k).sinkTo(sink);
        await env.execute();
        expect(sink.received).toHaveLength(keys.length);
        for (const r of sink.received) expect(r.subtask).toBe(referenceSubtask(r.value, maxP, p));
      }),
      { numRuns: 30 },
    );
  });

  class SubtaskTagger extends RichMapFunction<string | number | [string, number], [string | number | [string, number], number]> {
    map(key: string | number | [string, number]): [string | number | [string, number], number] {
      return [key, this.getRuntimeContext().getIndexOfThisSubtask()];
    }
  }

  test('a RichMapFunction after keyBy sees each key on one subtask: the assigned one (inline)', async () => {
    await fc.assert(
      fc.asyncProperty(keysArb, fc.integer({ min: 1, max: 8 }), async (keys, p) => {
        const env = StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 8 });
        const out = await env.fromCollection(keys).keyBy((k) => k).map(new SubtaskTagger()).executeAndCollect();
        expect(out).toHaveLength(keys.length);
        const seen = new Map<string, Set<number>>();
        for (const [key, subtask] of out) {
          const k = JSON.stringify(key);
          seen.set(k, (seen.get(k) ?? new Set()).add(subtask));
          expect({ key, subtask }).toEqual({ key, subtask: assignKeyToParallelOperator(key, 128, p) });
        }
        for (const subtasks of seen.values()) expect(subtasks.size).toBe(1);
      }),
      { numRuns: 40 },
    );
  });

  test('the same in threads mode (job module), with an IntCounter accumulator merged over subtasks', async () => {
    const dir = tempDir();
    const keys: Array<string | number | [string, number]> = ['hello', 'flink', 'a', 'b', 'c', 7, -3, ['x', 1], ['y', 2], 'hello', 7, ['x', 1]];
    const input = join(dir, 'keys.json');
    const output = join(dir, 'out.txt');
    writeFileSync(input, JSON.stringify(keys));
    const p = 3;
    const r = await runCli([
      'run',
      '-t',
      'threads',
      '-p',
      String(p),
      '-D',
      'taskmanager.numberOfTaskSlots=4',
      'test/fixtures/subtask-tags-job.ts',
      '--input',
      input,
      '--output',
      output,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const tagged = lines(readFileSync(output, 'utf8')).map(
      (l) => JSON.parse(l) as { key: string | number | [string, number]; subtask: number; parallelism: number },
    );
    expect(tagged).toHaveLength(keys.length);
    for (const t of tagged) {
      expect(t.parallelism).toBe(p);
      expect(t.subtask).toBe(referenceSubtask(t.key, 128, p));
    }
    const acc = lines(r.stdout).find((l) => l.startsWith('ACCUMULATORS '));
    expect(acc).toBeDefined();
    expect(JSON.parse(acc!.slice('ACCUMULATORS '.length))).toEqual({ records: keys.length });
  });
});
