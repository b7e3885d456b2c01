/**
 * At parallelism 1 a file sink's output is one file; a path ending in '/' cannot be that file. The
 * job fails at its start, naming the path — not after all its work, at the rename that publishes it
 * (which fails with ENOTDIR), as it did once output went through an in-progress file.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { StreamExecutionEnvironment } from '../../lib/index.ts';
import { rejection, removeTempDirs, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

describe('a file sink path ending in a slash', () => {
  test('parallelism 1: refused before any record is processed', async () => {
    const dir = tempDir();
    const path = `${join(dir, 'out')}/`;
    let processed = 0;
    const e = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
    e.fromSequence(1, 100)
      .map((n) => {
        processed++;
        return n;
      })
      .writeAsText(path);
    const err = await rejection(e.execute());
    expect(String(err)).toContain(`Output path ${path} ends with '/'`);
    expect(processed).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('parallelism 2: a directory, as without the slash', async () => {
    const dir = tempDir();
    const e = StreamExecutionEnvironment.create({ 'parallelism.default': 2, 'taskmanager.numberOfTaskSlots': 2 });
    e.fromSequence(1, 100).writeAsText(`${join(dir, 'out')}/`);
    await e.execute();
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['1', '2']);
    expect(existsSync(join(dir, '.out.inprogress'))).toBe(false);
  });
});
