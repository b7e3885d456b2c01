/**
 * Async I/O's in-flight queue is operator state (Flink's AsyncWaitOperator): a snapshot taken at any
 * point holds the input records whose results have not gone out (with their timestamps) and the
 * watermarks among them; a fresh operator restored from it (through v8) issues them again, and the
 * output is the uninterrupted one — in order (ORDERED), or the same records between the same
 * watermarks (UNORDERED).
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { AsyncWaitOperator, type AsyncFunction, type OutputMode, type ResultFuture } from '../../lib/operators/async-wait.ts';
import { OneInputStreamOperatorTestHarness, StreamRecord, Watermark, type OperatorSnapshot } from '../../lib/testing/index.ts';

type Step = { rec: number } | { wm: number } | { complete: number };

type Harness = OneInputStreamOperatorTestHarness<number, string>;
type Log = Array<['record', string, number | undefined] | ['watermark', number]>;

/**
 * The operator in tidemark/testing's harness, opened (restored from `snapshot` when given). Calls
 * wait until the test completes them; each result is a function of the input only.
 */
function harness(mode: OutputMode, capacity: number, calls: Array<ResultFuture<string> & { x: number }>, snapshot?: OperatorSnapshot): Harness {
  const fn: AsyncFunction<number, string> = {
    asyncInvoke: (x, rf) => void calls.push({ x, complete: (r) => rf.complete(r), completeExceptionally: (e) => rf.completeExceptionally(e) }),
  };
  const h: Harness = new OneInputStreamOperatorTestHarness(new AsyncWaitOperator<number, string>(fn, mode, 0, capacity));
  if (snapshot !== undefined) h.initializeState(snapshot);
  h.open();
  return h;
}

function run(h: Harness, calls: Array<ResultFuture<string> & { x: number }>, steps: Step[]): void {
  for (const s of steps) {
    if ('rec' in s) h.processElement(s.rec, 1000 + s.rec);
    else if ('wm' in s) h.processWatermark(s.wm);
    else if (calls.length > 0) {
      const [c] = calls.splice(s.complete % calls.length, 1);
      c!.complete([`r${c!.x}`, `s${c!.x}`]);
      h.processMails();
    }
  }
}

/** Completes every call still in flight (oldest first) until the queue is empty. */
function drain(h: Harness, calls: Array<ResultFuture<string> & { x: number }>): void {
  while (calls.length > 0) {
    const c = calls.shift()!;
    c.complete([`r${c.x}`, `s${c.x}`]);
    h.processMails();
  }
}

/** Records and watermarks in the order the operator emitted them. */
function log(h: Harness): Log {
  return h.getOutput().map((e): Log[number] => {
    if (e instanceof Watermark) return ['watermark', e.timestamp];
    if (e instanceof StreamRecord) return ['record', e.value, e.timestamp];
    throw new Error(`Unexpected output ${String(e)}`);
  });
}

/** UNORDERED: the records between two watermarks in any order. */
function segments(log: Log): unknown[] {
  const out: unknown[] = [];
  let seg: string[] = [];
  for (const e of log) {
    if (e[0] === 'watermark') {
      out.push(seg.sort(), e[1]);
      seg = [];
    } else seg.push(`${e[1]}@${e[2]}`);
  }
  out.push(seg.sort());
  return out;
}

const steps: fc.Arbitrary<Step[]> = fc
  .array(fc.oneof({ arbitrary: fc.record({ rec: fc.constant(0) }), weight: 3 }, { arbitrary: fc.record({ wm: fc.constant(0) }), weight: 1 }, { arbitrary: fc.record({ complete: fc.nat() }), weight: 3 }), {
    maxLength: 40,
  })
  .map((xs) => {
    let n = 0;
    let wm = 0;
    return xs.map((s): Step => ('rec' in s ? { rec: n++ } : 'wm' in s ? { wm: 1000 + (wm += 1) * 3 } : s));
  });

describe('async I/O restore', () => {
  for (const mode of ['ORDERED', 'UNORDERED'] as const) {
    test(`${mode}: restored from a v8-serialized snapshot at any point, the in-flight elements are issued again and the output is the uninterrupted one`, () => {
      fc.assert(
        fc.property(steps, fc.nat(), fc.integer({ min: 1, max: 4 }), (input, at, capacity) => {
          const cut = at % (input.length + 1);
          const wholeCalls: Array<ResultFuture<string> & { x: number }> = [];
          const whole = harness(mode, capacity, wholeCalls);
          run(whole, wholeCalls, input);
          drain(whole, wholeCalls);

          const firstCalls: Array<ResultFuture<string> & { x: number }> = [];
          const first = harness(mode, capacity, firstCalls);
          run(first, firstCalls, input.slice(0, cut));
          const snapshot = first.snapshot(); // v8-serialized, as a checkpoint holds it
          // The first operator is gone (a failure): its calls still in flight never deliver.
          const secondCalls: Array<ResultFuture<string> & { x: number }> = [];
          const second = harness(mode, capacity, secondCalls, snapshot);
          run(second, secondCalls, input.slice(cut));
          drain(second, secondCalls);

          const both = [...log(first), ...log(second)];
          if (mode === 'ORDERED') expect(both).toEqual(log(whole));
          else expect(segments(both)).toEqual(segments(log(whole)));
        }),
        { numRuns: 300 },
      );
    });
  }

  test('the snapshot holds the records without results out yet, with their timestamps, and the watermarks among them, in queue order', () => {
    const calls: Array<ResultFuture<string> & { x: number }> = [];
    const h = harness('UNORDERED', 10, calls);
    h.processElement(1, 11);
    h.processElement(2, 12);
    h.processWatermark(12);
    h.processElement(3, 13);
    calls[1]!.complete(['r2']); // out already (unordered): not in the snapshot
    calls[2]!.complete(['r3']); // done, but held behind the watermark: issued again
    h.processMails();
    expect(h.extractOutputStreamRecords().map((r) => [r.value, r.timestamp])).toEqual([['r2', 12]]);
    expect(h.snapshot().operator).toEqual({
      _async_wait_operator_state_: { mode: 'SPLIT_DISTRIBUTE', entries: [{ record: 1, timestamp: 11 }, { watermark: 12 }, { record: 3, timestamp: 13 }] },
    });
  });
});
