/**
 * A random job with a random exchange shape (hash, rebalance, broadcast, union of two exchanges)
 * over random records gives, in threads (the binary exchange between worker threads), exactly what
 * it gives inline: the same records (values of any shape, -0, NaN, non-ASCII strings, key order,
 * dates), the same paths through the exchanges, and the same event-time window counts (watermarks
 * travel in band through every exchange). Some runs use a tiny ring, so frames pass in pieces and
 * producers wait for room.
 */
import { afterAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { join } from 'node:path';
import { removeTempDirs, runCli, tempDir } from '../helpers.ts';
import type { Out, Rec, Step } from '../fixtures/exchange-shapes-job.ts';

afterAll(removeTempDirs);

const payload = fc.oneof(
  fc.double(),
  fc.constantFrom(-0, NaN, Infinity),
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.boolean(),
  fc.record({ x: fc.integer(), tag: fc.constantFrom('a', 'b', 'c'), inner: fc.record({ ok: fc.boolean(), at: fc.tuple(fc.double(), fc.double()) }) }),
  fc.tuple(fc.string(), fc.integer()),
  fc.constant(null),
  fc.date({ noInvalidDate: true }),
  fc.array(fc.integer(), { maxLength: 3 }),
);
/** Mostly one payload shape per run (the shaped encoder), sometimes a mix (the fallback). */
const recordsArb = fc
  .tuple(fc.array(fc.tuple(fc.nat(7), fc.nat(4)), { minLength: 1, maxLength: 300 }), payload, fc.array(payload, { maxLength: 300 }), fc.boolean())
  .map(([keysAndGaps, one, many, mixed]) => {
    let ts = 1000;
    return keysAndGaps.map(([k, gap], id): Rec => {
      ts += gap;
      return { id, k, ts, path: '', payload: mixed ? (many[id % Math.max(1, many.length)] ?? one) : one };
    });
  });
const stepsArb = fc.array(fc.constantFrom<Step>('hash', 'rebalance', 'broadcast', 'union'), { minLength: 1, maxLength: 3 });

function canonical(out: Out[]): { recs: Out[]; wins: Out[] } {
  const recs = out.filter((o) => 'rec' in o).sort((a, b) => {
    const x = (a as { rec: Rec }).rec;
    const y = (b as { rec: Rec }).rec;
    return x.id - y.id || (x.path < y.path ? -1 : x.path > y.path ? 1 : 0);
  });
  const wins = out.filter((o) => 'win' in o).sort((a, b) => {
    const x = (a as { win: number[] }).win;
    const y = (b as { win: number[] }).win;
    return x[0]! - y[0]! || x[1]! - y[1]!;
  });
  return { recs, wins };
}

describe('exchange shapes: threads (binary exchange) = inline', () => {
  test('random records, random exchange steps, parallelism 2..4', async () => {
    const dir = tempDir();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(recordsArb, stepsArb, fc.integer({ min: 2, max: 4 }), fc.boolean(), async (records, steps, p, tinyRing) => {
        const i = run++;
        const specFile = join(dir, `spec-${i}.bin`);
        writeFileSync(specFile, serialize({ records, steps }));
        const results: Out[][] = [];
        for (const target of ['inline', 'threads']) {
          const outFile = join(dir, `out-${i}-${target}.bin`);
          const before = process.env.TIDEMARK_RING_BYTES;
          if (tinyRing) process.env.TIDEMARK_RING_BYTES = '256';
          try {
            const r = await runCli(['run', '-t', target, '-p', String(p), 'test/fixtures/exchange-shapes-job.ts', '--spec', specFile, '--output', outFile]);
            expect(r.stderr).toBe('');
            expect(r.code).toBe(0);
          } finally {
            if (before === undefined) delete process.env.TIDEMARK_RING_BYTES;
            else process.env.TIDEMARK_RING_BYTES = before;
          }
          results.push(deserialize(readFileSync(outFile)) as Out[]);
        }
        const [inline, threads] = results.map(canonical);
        expect(threads!.recs).toEqual(inline!.recs);
        expect(threads!.wins).toEqual(inline!.wins);
        // Key order of every record as inline has it (toEqual ignores it).
        expect(threads!.recs.map((o) => JSON.stringify(Object.keys((o as { rec: Rec }).rec.payload ?? {})))).toEqual(
          inline!.recs.map((o) => JSON.stringify(Object.keys((o as { rec: Rec }).rec.payload ?? {}))),
        );
        // Nothing lost: broadcast multiplies by p, union by 2.
        const factor = steps.reduce((f, s) => f * (s === 'broadcast' ? p : s === 'union' ? 2 : 1), 1);
        expect(inline!.recs).toHaveLength(records.length * factor);
      }),
      {
        numRuns: 8,
        examples: [
          [[{ id: 0, k: 1, ts: 5, path: '', payload: { x: 1, tag: 'a', inner: { ok: true, at: [-0, NaN] } } }, { id: 1, k: 2, ts: 15, path: '', payload: { x: 2, tag: 'b', inner: { ok: false, at: [1, 2] } } }], ['union', 'broadcast', 'hash'], 4, true],
        ],
      },
    );
  }, 600_000);
});
