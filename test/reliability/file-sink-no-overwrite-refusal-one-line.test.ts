/**
 * NO_OVERWRITE refusing an existing output is one clear line from the CLI (a FileSinkError naming
 * the path), not the message twice with a stack trace; and when the existing directory holds only
 * the hidden in-progress files of a job that did not finish (`ls` shows it empty), it says so.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs, runCli, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

describe('NO_OVERWRITE on an existing output, through the CLI', () => {
  test('an existing file: one line naming the path, no stack', async () => {
    const path = join(tempDir(), 'out.txt');
    writeFileSync(path, 'keep\n');
    const r = await runCli(['run', 'test/fixtures/write-sequence-job.ts', '--output', path, '--no-overwrite']);
    expect(r.code).not.toBe(0);
    const err = r.stderr.trim().split('\n');
    expect(err).toHaveLength(1);
    expect(err[0]).toContain(`${path} already exists`);
  });

  test('a directory holding only in-progress files: the message names them', async () => {
    const path = join(tempDir(), 'out');
    mkdirSync(path);
    writeFileSync(join(path, '.1.inprogress'), 'a\n');
    writeFileSync(join(path, '.2.inprogress'), 'b\n');
    const r = await runCli(['run', 'test/fixtures/write-sequence-job.ts', '--output', path, '--no-overwrite']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('already exists, holding only the in-progress files of a job that did not finish (.1.inprogress, .2.inprogress)');
  });
});
