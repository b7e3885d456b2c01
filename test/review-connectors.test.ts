/**
 * Review: file sink write modes at parallelism > 1, error attribution of code that runs on an
 * operator's output (timestamp checks, key selectors), and the columnar codec's object keys.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StreamExecutionEnvironment, WatermarkStrategy } from '../lib/index.ts';
import { decodeBatch, encodeBatch } from '../lib/runtime/codec.ts';
import { rejection, removeTempDirs, tempDir } from './helpers.ts';

afterAll(removeTempDirs);

const env = (p = 1): StreamExecutionEnvironment =>
  StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });

describe('review: writeAsText at parallelism > 1', () => {
  test('NO_OVERWRITE does not delete an existing file at the output path', async () => {
    const out = join(tempDir(), 'result.txt');
    writeFileSync(out, 'precious\n');
    const e = env(2);
    e.fromSequence(1, 10).writeAsText(out); // NO_OVERWRITE is the default
    await rejection(e.execute('must not overwrite')).catch(() => undefined);
    expect(existsSync(out) && statSync(out).isFile() ? readFileSync(out, 'utf8') : '(gone or replaced by a directory)').toBe('precious\n');
  });

  test('OVERWRITE replaces the whole output directory (no stale part files from an earlier, wider run)', async () => {
    const out = join(tempDir(), 'result');
    const e1 = env(4);
    e1.fromSequence(1, 8).map((x) => `old ${x}`).writeAsText(out, 'OVERWRITE');
    await e1.execute('wide run');
    const e2 = env(2);
    e2.fromSequence(1, 4).map((x) => `new ${x}`).writeAsText(out, 'OVERWRITE');
    await e2.execute('narrow run');
    const text = readdirSync(out)
      .sort()
      .map((f) => readFileSync(join(out, f), 'utf8'))
      .join('');
    expect(text).not.toContain('old');
    expect(readdirSync(out).sort()).toEqual(['1', '2']);
  });
});

describe('review: error attribution of code run on an output', () => {
  test('a timestamp assigner returning NaN is blamed on the timestamps operator, not the source', async () => {
    const err = await rejection(
      env()
        .fromElements({ ts: 1 }, { ts: Number.NaN })
        .assignTimestampsAndWatermarks(WatermarkStrategy.noWatermarks<{ ts: number }>().withTimestampAssigner((r) => r.ts))
        .executeAndCollect(),
    );
    expect((err as Error).message).toContain('Timestamps/Watermarks');
    expect((err as Error).message).not.toContain("'Collection Source'");
  });

  test('a throwing key selector on a network edge is not blamed on the source', async () => {
    const err = await rejection(
      env(2)
        .fromElements(1, 2, 3)
        .keyBy((x: number): number => {
          if (x === 3) throw new Error('no key for 3');
          return x;
        })
        .reduce((a, b) => a + b)
        .executeAndCollect(),
    );
    expect((err as Error).message).toContain('no key for 3');
    expect((err as Error).message).not.toContain("'Collection Source'");
  });
});

describe('review: columnar codec', () => {
  test('an object record with an own "__proto__" key (JSON.parse) keeps it across threads', () => {
    const records = Array.from({ length: 20 }, (_, i) => JSON.parse(`{"__proto__": "p${i}", "n": ${i}}`) as Record<string, unknown>);
    const decoded = decodeBatch(encodeBatch({ v: records, t: records.map(() => 0), c: null }).message);
    expect(Object.keys(decoded.v[3] as object)).toEqual(['__proto__', 'n']);
  });
});
