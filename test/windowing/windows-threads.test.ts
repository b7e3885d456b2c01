/** Window results in the threads target (a worker per slot) equal the reference model too. */
import { afterAll, expect, test } from 'vitest';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lines, removeTempDirs, runCli, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

type Ev = { key: string; v: number; ts: number };

function reference(evs: Ev[], kind: string): string[] {
  const out = new Map<string, number>();
  const add = (id: string, v: number): void => void out.set(id, (out.get(id) ?? 0) + v);
  if (kind === 'session') {
    for (const key of ['a', 'b', 'c']) {
      const es = evs.filter((e) => e.key === key).sort((x, y) => x.ts - y.ts);
      let i = 0;
      while (i < es.length) {
        let j = i;
        let end = es[i]!.ts + 25;
        let sum = es[i]!.v;
        while (j + 1 < es.length && es[j + 1]!.ts <= end) {
          j++;
          sum += es[j]!.v;
          end = Math.max(end, es[j]!.ts + 25);
        }
        add(`${key} ${es[i]!.ts} ${end}`, sum);
        i = j + 1;
      }
    }
  } else {
    const [size, slide] = kind === 'tumbling' ? [50, 50] : [60, 20];
    for (const e of evs) {
      for (let s = Math.floor(e.ts / slide) * slide; s > e.ts - size; s -= slide) add(`${e.key} ${s} ${s + size}`, e.v);
    }
  }
  return [...out].map(([id, s]) => `${id} ${s}`).sort();
}

test('tumbling, sliding and session windows in threads mode at parallelism 2..4', async () => {
  const dir = tempDir();
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 9 }), fc.nat({ max: 30 }), fc.nat({ max: 20 })), { minLength: 1, maxLength: 60 }),
      fc.constantFrom('tumbling', 'sliding', 'session'),
      fc.integer({ min: 2, max: 4 }),
      async (rows, kind, p) => {
        let max = 0;
        const evs: Ev[] = rows.map(([key, v, adv, back]) => {
          max += adv;
          return { key, v, ts: Math.max(0, max - back) };
        });
        const input = join(dir, `in-${run}.json`);
        const output = join(dir, `out-${run++}.txt`);
        writeFileSync(input, JSON.stringify(evs));
        const r = await runCli(['run', '-t', 'threads', '-p', String(p), '-D', 'taskmanager.numberOfTaskSlots=4', 'test/fixtures/windows-job.ts', '--input', input, '--output', output, '--kind', kind, '--bound', '20']);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(lines(readFileSync(output, 'utf8')).sort()).toEqual(reference(evs, kind));
      },
    ),
    { numRuns: 5 },
  );
});
