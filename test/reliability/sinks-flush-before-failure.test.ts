/**
 * A job that fails in the middle of a batch: the print sink and the file sink both hand over the
 * records they accepted before the failure (at-least-once sinks are at least that). Through the
 * real CLI, inline and on worker threads.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inProgressPath } from '../../connectors/file/index.ts';
import { lines, removeTempDirs, runCli, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

describe('a job whose map throws on record N of a batch', () => {
  for (const target of ['inline', 'threads']) {
    test(`${target}: stdout and the file both hold records 1..N-1, and the CLI exits non-zero`, async () => {
      const path = join(tempDir(), 'out.txt');
      // 300 records fit one batch; the map throws on record 200.
      const r = await runCli(['run', '-t', target, 'test/fixtures/write-sequence-job.ts', '--output', path, '--count', '300', '--fail-at', '200', '--print']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('bad record 200');
      const expected = Array.from({ length: 199 }, (_, i) => `record-${i + 1}`);
      expect(lines(r.stdout)).toEqual(expected);
      // The file sink keeps them in its in-progress file: the job did not finish.
      expect(existsSync(path)).toBe(false);
      expect(lines(readFileSync(inProgressPath(path), 'utf8'))).toEqual(expected);
    });
  }
});
