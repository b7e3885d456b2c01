/**
 * Asynchronous results reach an operator as mails of its task; the harness runs them when the test
 * asks (processMails, or before its next call) and while endInput waits for the operator to finish.
 * Processing time is the harness's, so an async timeout fires when the test moves time, not the clock.
 */
import { describe, expect, test } from 'vitest';
import { AsyncWaitOperator } from '../../lib/operators/async-wait.ts';
import { OneInputStreamOperatorTestHarness, StreamRecord, Watermark } from '../../lib/testing/index.ts';
import { UserCodeError } from '../../lib/index.ts';

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('mails and async operators in the harness', () => {
  test('ordered async results come out in input order once their mails run; endInput waits for the rest', async () => {
    const calls = new Map<number, ReturnType<typeof deferred<string>>>();
    const fn = (x: number): Promise<string> => {
      const d = deferred<string>();
      calls.set(x, d);
      return d.promise;
    };
    const h = new OneInputStreamOperatorTestHarness<number, string>(new AsyncWaitOperator<number, string>(fn, 'ORDERED', 0, 10));
    h.open();
    h.processElement(1, 10);
    h.processElement(2, 20);
    h.processWatermark(20);
    calls.get(2)!.resolve('two');
    await tick();
    h.processMails();
    expect(h.getOutput()).toEqual([]); // 1 is still pending: ordered
    calls.get(1)!.resolve('one');
    await tick();
    expect(h.getOutput()).toEqual([]); // the mail is queued, not run behind the test's back
    h.processMails();
    expect(h.getOutput()).toEqual([new StreamRecord('one', 10), new StreamRecord('two', 20), new Watermark(20)]);
    h.processElement(3, 30);
    const ending = h.endInput();
    setImmediate(() => calls.get(3)!.resolve('three'));
    await ending;
    expect(h.extractOutputValues()).toEqual(['one', 'two', 'three']);
    await h.close();
  });

  test('an async timeout fires when the test moves processing time, and fails as in a job', () => {
    const h = new OneInputStreamOperatorTestHarness<number, string>(
      new AsyncWaitOperator<number, string>(() => new Promise<string>(() => {}), 'UNORDERED', 1000, 10),
      { initialProcessingTime: 5000 },
    );
    h.open();
    h.processElement(1);
    h.setProcessingTime(5999);
    expect(() => h.setProcessingTime(6000)).toThrow(UserCodeError);
  });
});
