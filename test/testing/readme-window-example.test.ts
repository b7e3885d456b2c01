/**
 * The window example of the README's "Testing your functions", as a real test: everything from the
 * imports to the end of describe('average temperature per minute') is the README's second code block
 * of that section, verbatim (the last test checks it).
 */
import { describe, expect, test } from 'vitest';
import { StreamExecutionEnvironment, TumblingEventTimeWindows, type AggregateFunction } from 'tidemark';
import { KeyedOneInputStreamOperatorTestHarness } from 'tidemark/testing';

interface Reading {
  sensor: string;
  temp: number;
}

const average: AggregateFunction<Reading, [number, number], number> = {
  createAccumulator: () => [0, 0],
  add: (r, [sum, n]) => [sum + r.temp, n + 1],
  getResult: ([sum, n]) => sum / n,
  merge: ([s1, n1], [s2, n2]) => [s1 + s2, n1 + n2],
};

describe('average temperature per minute', () => {
  // The stream your job builds; the harness runs its window operator without running the job.
  const averages = StreamExecutionEnvironment.getExecutionEnvironment()
    .fromElements<Reading>()
    .keyBy((r) => r.sensor)
    .window(TumblingEventTimeWindows.of('1 min'))
    .aggregate(average)
    .name('average per minute');

  test('emits each sensor’s average when the watermark passes the end of the minute', () => {
    const h = KeyedOneInputStreamOperatorTestHarness.forStream<string, Reading, number>(averages);
    h.processElement({ sensor: 's1', temp: 20 }, 1_000);
    h.processElement({ sensor: 's1', temp: 30 }, 59_000);
    h.processElement({ sensor: 's2', temp: 10 }, 61_000);
    expect(h.numKeyedStateEntries()).toBe(2); // s1's first minute, s2's second

    h.processWatermark(59_999); // the window [0, 60 s) ends at 60 s: its last timestamp is 59 999
    expect(h.extractOutputStreamRecords().map((r) => [r.value, r.timestamp])).toEqual([[25, 59_999]]);
    expect(h.numKeyedStateEntries()).toBe(1); // the fired window is gone
  });
});

// ---- not in the README: the README's code block is this file's code above, verbatim ----
import { readFileSync } from 'node:fs';

test("the README's window example under 'Testing your functions' is this file's code", () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Testing your functions'));
  const blocks = [...section.slice(0, section.indexOf('\n## ', 1)).matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const block = blocks.find((b) => b.includes('forStream'));
  expect(block, "README has a ```ts block with forStream under '## Testing your functions'").toBeDefined();
  expect(block!.length).toBeGreaterThan(500);
  expect(readFileSync(new URL(import.meta.url), 'utf8')).toContain(block);
});
