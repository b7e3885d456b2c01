/**
 * A source subtask that ended (its final watermark +∞) before its sibling was found idle: once the
 * sibling is idle, the windows downstream fire, as in Flink, where a finished channel stays at
 * MAX_WATERMARK. Before, the valve forgot the ended channel's watermark and the windows never fired.
 */
import { expect, test } from 'vitest';
import { lines, runCli } from '../helpers.ts';

const job = 'test/fixtures/finished-and-idle-source-subtasks-job.ts';

for (const target of ['inline', 'threads']) {
  for (const windowParallelism of [1, 2]) {
    test(`${target}, windows at parallelism ${windowParallelism}: every window fires`, async () => {
      const r = await runCli(['run', '-t', target, '-p', '2', '-D', 'taskmanager.numberOfTaskSlots=4', job, '--window-parallelism', String(windowParallelism)]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      // 30 records, keys k0..k2 round robin, 10 ms windows: every key has 3 or 4 records a window.
      const counts = JSON.parse(lines(r.stdout).at(-1)!) as number[];
      expect(counts.length).toBe(9);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(30);
    });
  }
}
