/**
 * The harness fires timers as a task does: event-time timers when a watermark reaches them, before the
 * watermark goes on; processing-time timers when the test moves processing time, in time order
 * (registration order among equal times), each (key, time) once. Checked against a simple model.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { KeyedProcessFunction, type Collector, type KeyedProcessContext, type OnTimerContext } from '../../lib/index.ts';
import { ProcessFunctionTestHarnesses, StreamRecord, Watermark } from '../../lib/testing/index.ts';

type Reg = { key: string; at: number };
type TimerDomain = 'event' | 'processing';

/** Registers a timer per input record; its onTimer reports key, time and domain. */
class Registering extends KeyedProcessFunction<string, Reg, string> {
  constructor(private readonly domain: TimerDomain) {
    super();
  }
  processElement(r: Reg, ctx: KeyedProcessContext<string>): void {
    if (this.domain === 'event') ctx.timerService().registerEventTimeTimer(r.at);
    else ctx.timerService().registerProcessingTimeTimer(r.at);
  }
  override onTimer(ts: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
    out.collect(`${ctx.getCurrentKey()}@${ts}:${ctx.timeDomain()}`);
  }
}

type Step = { kind: 'register'; key: string; at: number } | { kind: 'advance'; by: number };
const steps = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('register' as const), key: fc.constantFrom('a', 'b', 'c'), at: fc.integer({ min: 0, max: 60 }) }),
    fc.record({ kind: fc.constant('advance' as const), by: fc.integer({ min: 0, max: 25 }) }),
  ),
  { maxLength: 40 },
);

/** The model: pending (key, time) in registration order; an advance fires those due, by time then registration. */
function model(run: Step[], domain: TimerDomain): string[] {
  const pending = new Map<string, { key: string; at: number; seq: number }>();
  let seq = 0;
  let now = 0;
  const out: string[] = [];
  for (const s of run) {
    if (s.kind === 'register') {
      const id = `${s.key}|${s.at}`;
      if (!pending.has(id)) pending.set(id, { key: s.key, at: s.at, seq: seq++ });
    } else {
      now += s.by;
      const due = [...pending.entries()].filter(([, t]) => t.at <= now).sort(([, x], [, y]) => x.at - y.at || x.seq - y.seq);
      for (const [id, t] of due) {
        pending.delete(id);
        out.push(`${t.key}@${t.at}:${domain === 'event' ? 'EVENT_TIME' : 'PROCESSING_TIME'}`);
      }
      if (domain === 'event') out.push(`watermark ${now}`);
    }
  }
  return out;
}

function runHarness(run: Step[], domain: TimerDomain): { out: string[]; pending: number } {
  const h = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new Registering(domain), (r: Reg) => r.key);
  let now = 0;
  for (const s of run) {
    if (s.kind === 'register') h.processElement({ key: s.key, at: s.at }, 0);
    else if (domain === 'event') h.processWatermark((now += s.by));
    else h.setProcessingTime((now += s.by));
  }
  const out = h.getOutput().map((e) => (e instanceof Watermark ? `watermark ${e.timestamp}` : String((e as StreamRecord<string>).value)));
  return { out, pending: domain === 'event' ? h.numEventTimeTimers() : h.numProcessingTimeTimers() };
}

describe('timers in the harness', () => {
  for (const domain of ['event', 'processing'] as const) {
    test(`${domain}-time timers fire in time order, registration order on ties, once per (key, time) (model)`, () => {
      fc.assert(
        fc.property(steps, (run) => {
          const { out, pending } = runHarness(run, domain);
          expect(out).toEqual(model(run, domain));
          const registered = new Set(run.filter((s) => s.kind === 'register').map((s) => `${(s as Reg).key}|${(s as Reg).at}`)).size;
          expect(pending).toBeLessThanOrEqual(registered);
        }),
        { numRuns: 200 },
      );
    });
  }

  test('a watermark fires the due event-time timers, then is forwarded; output of a timer carries its time', () => {
    const h = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new Registering('event'), (r: Reg) => r.key);
    h.processElement({ key: 'b', at: 20 }, 5);
    h.processElement({ key: 'a', at: 10 }, 6);
    h.processElement({ key: 'a', at: 10 }, 7); // the same (key, time): one timer
    expect(h.numEventTimeTimers()).toBe(2);
    expect(h.eventTimeTimers().map((t) => [t.key, t.timestamp])).toEqual([
      ['a', 10],
      ['b', 20],
    ]);
    h.processWatermark(9);
    expect(h.extractOutputValues()).toEqual([]);
    h.processWatermark(20);
    expect(h.getOutput()).toEqual([new Watermark(9), new StreamRecord('a@10:EVENT_TIME', 10), new StreamRecord('b@20:EVENT_TIME', 20), new Watermark(20)]);
    expect(h.numEventTimeTimers()).toBe(0);
  });

  test('setProcessingTime fires due processing-time timers in order, also those registered while firing; output has no timestamp', () => {
    class Chain extends KeyedProcessFunction<string, string, string> {
      processElement(_v: string, ctx: KeyedProcessContext<string>): void {
        ctx.timerService().registerProcessingTimeTimer(100);
      }
      override onTimer(ts: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
        out.collect(`${ctx.getCurrentKey()}@${ts} now=${ctx.timerService().currentProcessingTime()}`);
        if (ts < 300) ctx.timerService().registerProcessingTimeTimer(ts + 100);
      }
    }
    const h = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new Chain(), (v: string) => v);
    h.processElement('x');
    expect(h.numProcessingTimeTimers()).toBe(1);
    h.setProcessingTime(99);
    expect(h.extractOutputValues()).toEqual([]);
    h.setProcessingTime(250);
    expect(h.getOutput()).toEqual([new StreamRecord('x@100 now=250'), new StreamRecord('x@200 now=250')]);
    expect(h.processingTimeTimers().map((t) => t.timestamp)).toEqual([300]);
    h.setProcessingTime(1000);
    expect(h.extractOutputValues()).toEqual(['x@100 now=250', 'x@200 now=250', 'x@300 now=1000']);
    expect(h.numProcessingTimeTimers()).toBe(0);
    expect(() => h.setProcessingTime(10)).toThrow(/cannot go back/);
  });

  test('no timer fires after close', async () => {
    const h = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new Registering('processing'), (r: Reg) => r.key);
    h.processElement({ key: 'a', at: 10 });
    await h.close();
    expect(() => h.setProcessingTime(20)).toThrow(/closed/);
    expect(h.extractOutputValues()).toEqual([]);
  });
});
