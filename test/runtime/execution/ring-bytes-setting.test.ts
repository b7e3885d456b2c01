/**
 * TIDEMARK_RING_BYTES (the size of each channel's ring in the binary exchange between worker threads)
 * that is not a power of two from 16 to 2^30 fails the job with one message naming the variable, what
 * it was set to and what it takes: not "ring size NaN is not a power of two", and not a 4 GiB ring whose
 * int32 position masks go negative.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs, runCli, tempDir } from '../../helpers.ts';

afterAll(removeTempDirs);

describe('TIDEMARK_RING_BYTES', () => {
  test('a value that is no ring size fails the job naming the variable; a valid tiny ring runs', async () => {
    const dir = tempDir();
    const input = join(dir, 'in.json');
    writeFileSync(input, JSON.stringify([['a', 1], ['b', 2], ['a', 3]]));
    const before = process.env.TIDEMARK_RING_BYTES;
    try {
      for (const bad of ['1MB', '8', '1000', String(2 ** 32)]) {
        process.env.TIDEMARK_RING_BYTES = bad;
        const r = await runCli(['run', '-t', 'threads', '-p', '2', 'test/fixtures/keyed-sum-job.ts', '--input', input, '--output', join(dir, `out-${bad}.txt`)]);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toContain(`TIDEMARK_RING_BYTES=${bad}`);
        expect(r.stderr).toContain('power of two from 16 to');
      }
      process.env.TIDEMARK_RING_BYTES = '16';
      const ok = await runCli(['run', '-t', 'threads', '-p', '2', 'test/fixtures/keyed-sum-job.ts', '--input', input, '--output', join(dir, 'out-ok.txt')]);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
    } finally {
      if (before === undefined) delete process.env.TIDEMARK_RING_BYTES;
      else process.env.TIDEMARK_RING_BYTES = before;
    }
  }, 120_000);
});
