/**
 * main() called in-process checks the command line before it starts a job thread, which checks it
 * again: a warning about a configuration key is still printed once, not twice.
 */
import { afterEach, expect, test, vi } from 'vitest';
import { main } from '../../lib/cli/main.ts';
import { REPO_ROOT } from '../helpers.ts';

afterEach(() => vi.restoreAllMocks());

test('main() in-process: a misspelt -D key is warned about once', async () => {
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) => {
    stderr += chunk.toString();
    return write(chunk, ...rest);
  }) as typeof process.stderr.write);
  expect(await main(['run', '-D', 'parallelism.defualt=4', 'test/fixtures/print-config-job.ts'], REPO_ROOT)).toBe(0);
  const warnings = stderr.split('\n').filter((l) => l.includes("unknown configuration key 'parallelism.defualt'"));
  expect(warnings).toHaveLength(1);
});
