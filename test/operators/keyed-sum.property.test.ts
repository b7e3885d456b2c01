/**
 * The central property: keyed running sums equal a reference computed with a Map, for any input,
 * any parallelism 1..4, in STREAMING and BATCH mode, inline and in threads.
 * - STREAMING: for each key, the emitted sums are exactly the prefix sums of that key's values, in
 *   input order (fromCollection is ordered and non-parallel; keyBy keeps per-key order).
 * - BATCH: exactly one record per key, holding the key's total.
 */
import { afterAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StreamExecutionEnvironment } from '../../lib/index.ts';
import { groupBy, lines, removeTempDirs, runCli, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

type Key = string | number | [string, number];
type Rec = [Key, number];
type Mode = 'STREAMING' | 'BATCH';

// Strings, numbers (1 and '1' are different keys) and composite tuple keys.
const keyArb: fc.Arbitrary<Key> = fc.oneof(
  fc.constantFrom('a', 'b', 'hello', 'flink', '1'),
  fc.integer({ min: 0, max: 4 }),
  fc.tuple(fc.constantFrom('x', 'y'), fc.integer({ min: 0, max: 1 })),
);
const inputArb = fc.array(fc.tuple(keyArb, fc.integer({ min: -50, max: 50 })), { maxLength: 80 });
const modeArb = fc.constantFrom<Mode>('STREAMING', 'BATCH');

/** Per key (by JSON, so 1 and '1' differ): the prefix sums in input order. */
function referencePrefixSums(input: readonly Rec[]): Map<string, Rec[]> {
  const sums = new Map<string, number>();
  const out = new Map<string, Rec[]>();
  for (const [k, v] of input) {
    const id = JSON.stringify(k);
    const s = (sums.get(id) ?? 0) + v;
    sums.set(id, s);
    out.set(id, [...(out.get(id) ?? []), [k, s]]);
  }
  return out;
}

function checkAgainstReference(input: readonly Rec[], output: readonly Rec[], mode: Mode): void {
  const expected = referencePrefixSums(input);
  const actual = groupBy(output, (r) => r[0]);
  if (mode === 'STREAMING') {
    expect(output).toHaveLength(input.length);
    expect(new Map([...actual].sort())).toEqual(new Map([...expected].sort()));
  } else {
    const finals = new Map([...expected].map(([id, sums]) => [id, [sums[sums.length - 1]!]]));
    expect(output).toHaveLength(finals.size);
    expect(new Map([...actual].sort())).toEqual(new Map([...finals].sort()));
  }
}

describe('keyed running sums equal the reference model', () => {
  test('inline, in-process: any input, parallelism 1..4, STREAMING and BATCH', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb, fc.integer({ min: 1, max: 4 }), modeArb, async (input, p, mode) => {
        const env = StreamExecutionEnvironment.create({
          'parallelism.default': p,
          'taskmanager.numberOfTaskSlots': 4,
          'execution.runtime-mode': mode,
        });
        const out = await env
          .fromCollection(input)
          .keyBy((r) => r[0])
          .sum(1)
          .executeAndCollect();
        checkAgainstReference(input, out, mode);
      }),
      { numRuns: 200 },
    );
  });

  test('threads (a worker per slot, job module via the CLI): any input, parallelism 1..4, STREAMING and BATCH', async () => {
    const dir = tempDir();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(inputArb, fc.integer({ min: 1, max: 4 }), modeArb, async (input, p, mode) => {
        const inputFile = join(dir, `in-${run}.json`);
        const outputFile = join(dir, `out-${run}.txt`);
        run++;
        writeFileSync(inputFile, JSON.stringify(input));
        const r = await runCli([
          'run',
          '-t',
          'threads',
          '-p',
          String(p),
          '-D',
          'taskmanager.numberOfTaskSlots=4',
          '-D',
          `execution.runtime-mode=${mode}`,
          'test/fixtures/keyed-sum-job.ts',
          '--input',
          inputFile,
          '--output',
          outputFile,
        ]);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(existsSync(outputFile)).toBe(true);
        const out = lines(readFileSync(outputFile, 'utf8')).map((l) => JSON.parse(l) as Rec);
        checkAgainstReference(input, out, mode);
      }),
      {
        numRuns: 6,
        // Make sure the interesting corners are among the few runs: highest parallelism, both modes.
        examples: [
          [[['hello', 1], ['flink', 2], ['hello', 3], [1, 5], ['1', 7], [1, -5]], 4, 'STREAMING'],
          [[['hello', 1], ['flink', 2], ['hello', 3], [1, 5], ['1', 7], [1, -5]], 4, 'BATCH'],
        ],
      },
    );
  });
});
