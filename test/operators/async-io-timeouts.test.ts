/**
 * Async I/O timeouts (Flink's AsyncWaitOperator registers a timeout timer per call and cancels it
 * when the call completes): a call that completes in time leaves nothing in the task's timer queue,
 * so the pending timers stay bounded by the calls in flight, not by the calls made during one
 * timeout; a call that does not complete still times out at its deadline, with the function's
 * timeout() or the TimeoutException.
 */
import { describe, expect, test } from 'vitest';
import { UserCodeError } from '../../lib/index.ts';
import { AsyncTimeoutError, AsyncWaitOperator, type AsyncFunction, type ResultFuture } from '../../lib/operators/async-wait.ts';
import type { Output, ProcessingTimeService, StreamOperatorParameters } from '../../lib/runtime/operator.ts';
import { OneInputStreamOperatorTestHarness } from '../../lib/testing/index.ts';

/**
 * The operator, with the task timers it registers counted: the harness moves processing time and
 * fires them, but shows only the timers of the operator's timer services, while async I/O registers
 * its timeout on the task's ProcessingTimeService directly. A timer is pending from its
 * registration until it fires.
 */
class CountingAsyncWaitOperator<IN, OUT> extends AsyncWaitOperator<IN, OUT> {
  pendingTimers = 0;
  override setup(parameters: StreamOperatorParameters, output: Output<OUT>): void {
    const pts = parameters.processingTimeService;
    const counting: ProcessingTimeService = {
      getCurrentProcessingTime: () => pts.getCurrentProcessingTime(),
      registerTimer: (time, callback) => {
        this.pendingTimers++;
        pts.registerTimer(time, (t) => {
          this.pendingTimers--;
          callback(t);
        });
      },
      scheduleWithFixedDelay: (callback, delay) => pts.scheduleWithFixedDelay(callback, delay),
    };
    super.setup({ ...parameters, processingTimeService: counting }, output);
  }
}

describe('async I/O timeouts', () => {
  test('calls that complete in time leave no timers behind: pending timers are bounded by the calls in flight', () => {
    const op = new CountingAsyncWaitOperator<number, number>({ asyncInvoke: (x, rf) => rf.complete([x]) }, 'ORDERED', 60_000, 4);
    const h = new OneInputStreamOperatorTestHarness<number, number>(op);
    h.open();
    for (let i = 0; i < 1000; i++) {
      h.setProcessingTime(i); // time moves on, far from the timeout
      h.processElement(i, i);
      h.processMails();
    }
    expect(h.extractOutputValues()).toHaveLength(1000);
    expect(op.pendingTimers).toBeLessThanOrEqual(5);
  });

  test('a call that does not complete times out at its deadline, also behind calls that completed', () => {
    const pending: Array<ResultFuture<string>> = [];
    const timedOut: number[] = [];
    const fn: AsyncFunction<number, string> = {
      asyncInvoke: (x, rf) => {
        if (x === 3) pending.push(rf);
        else rf.complete([`r${x}`]);
      },
      timeout: (x, rf) => {
        timedOut.push(x);
        rf.complete([`default ${x}`]);
      },
    };
    const op = new CountingAsyncWaitOperator<number, string>(fn, 'ORDERED', 100, 10);
    const h = new OneInputStreamOperatorTestHarness<number, string>(op);
    h.open();
    for (let i = 0; i < 6; i++) {
      h.setProcessingTime(i * 10);
      h.processElement(i, i);
    }
    h.processMails();
    h.setProcessingTime(129); // the call for 3 started at 30: its deadline is 130
    expect(timedOut).toEqual([]);
    expect(h.extractOutputValues()).toEqual(['r0', 'r1', 'r2']);
    h.setProcessingTime(130);
    expect(timedOut).toEqual([3]);
    expect(h.extractOutputValues()).toEqual(['r0', 'r1', 'r2', 'default 3', 'r4', 'r5']);
    expect(op.pendingTimers).toBe(0);
  });

  test('without a timeout() the call fails with the TimeoutException', () => {
    const h = new OneInputStreamOperatorTestHarness<number, string>(new AsyncWaitOperator<number, string>({ asyncInvoke: () => {} }, 'UNORDERED', 50, 10));
    h.open();
    h.processElement(1, 1);
    h.setProcessingTime(49); // runs the mails due by then: none fails yet
    let failure: unknown;
    try {
      h.setProcessingTime(50);
    } catch (e) {
      failure = e;
    }
    // The timeout fails the call; its mail fails the task, attributed to the operator as in a job.
    expect(failure).toBeInstanceOf(UserCodeError);
    expect((failure as UserCodeError).cause).toBeInstanceOf(AsyncTimeoutError);
  });
});
