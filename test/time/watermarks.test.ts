/**
 * Event time, first part: durations, watermark generators, the watermark valve (min over active,
 * aligned channels; idle channels do not hold back), periodic emission in a running job, idleness.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { Duration } from 'luxon';
import {
  BoundedOutOfOrdernessWatermarks,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  toMillis,
  type InputStatus,
  type ReaderOutput,
  type Sink,
  type SinkRecordContext,
  type Source,
  type SourceReader,
  type WatermarkOutput,
} from '../../lib/index.ts';
import { StatusWatermarkValve } from '../../lib/runtime/watermark-valve.ts';
import { TrickleSource } from '../helpers.ts';

describe('durations', () => {
  test('Flink text form, ISO-8601, numbers and luxon Durations', () => {
    expect(toMillis('5 s')).toBe(5000);
    expect(toMillis('5s')).toBe(5000);
    expect(toMillis('10 min')).toBe(600_000);
    expect(toMillis('500ms')).toBe(500);
    expect(toMillis('2 hours')).toBe(7_200_000);
    expect(toMillis('1 d')).toBe(86_400_000);
    expect(toMillis('PT1H')).toBe(3_600_000);
    expect(toMillis('pt1m30s')).toBe(90_000);
    expect(toMillis(250)).toBe(250);
    expect(toMillis(Duration.fromObject({ minutes: 2 }))).toBe(120_000);
  });
  test('bad input names what was wrong', () => {
    expect(() => toMillis('5 parsecs', 'maxOutOfOrderness')).toThrow(/maxOutOfOrderness '5 parsecs'.*unknown unit 'parsecs'/);
    expect(() => toMillis('soon')).toThrow(/expected a number and a unit/);
    expect(() => toMillis(-1)).toThrow(/not a non-negative/);
    expect(() => toMillis('PXYZ')).toThrow(/ISO-8601/);
    expect(() => WatermarkStrategy.forBoundedOutOfOrderness('fast')).toThrow(/maxOutOfOrderness/);
  });
});

class Recorder implements WatermarkOutput {
  watermarks: number[] = [];
  idle: boolean[] = [];
  emitWatermark(w: number): void {
    this.watermarks.push(w);
  }
  markIdle(): void {
    this.idle.push(true);
  }
  markActive(): void {
    this.idle.push(false);
  }
}

describe('watermark generators', () => {
  test('bounded out-of-orderness: watermark = max timestamp seen - bound - 1, at every periodic emit', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 1e9 }), { maxLength: 5 }), { maxLength: 20 }), fc.nat({ max: 10_000 }), (rounds, bound) => {
        const g = new BoundedOutOfOrdernessWatermarks<number>(bound);
        const out = new Recorder();
        let max = Number.NEGATIVE_INFINITY;
        for (const events of rounds) {
          for (const ts of events) {
            g.onEvent(ts, ts, out);
            max = Math.max(max, ts);
          }
          const before = out.watermarks.length;
          g.onPeriodicEmit(out);
          if (max === Number.NEGATIVE_INFINITY) expect(out.watermarks.length).toBe(before);
          else expect(out.watermarks[out.watermarks.length - 1]).toBe(max - bound - 1);
        }
      }),
    );
  });
});

type ValveEvent = { ch: number; kind: 'wm'; wm: number } | { ch: number; kind: 'idle' | 'active' | 'end' };

describe('StatusWatermarkValve', () => {
  const events = (channels: number, statusWeight = 1): fc.Arbitrary<ValveEvent[]> =>
    fc.array(
      fc.oneof(
        { weight: 6, arbitrary: fc.record({ ch: fc.nat({ max: channels - 1 }), kind: fc.constant('wm' as const), wm: fc.integer({ min: 0, max: 100 }) }) },
        { weight: statusWeight, arbitrary: fc.record({ ch: fc.nat({ max: channels - 1 }), kind: fc.constantFrom('idle' as const, 'active' as const, 'end' as const) }) },
      ),
      { maxLength: 60 },
    );

  function run(channels: number, evs: ValveEvent[]): { out: number[]; statuses: boolean[]; valve: StatusWatermarkValve } {
    const valve = new StatusWatermarkValve(channels);
    const out: number[] = [];
    const statuses: boolean[] = [];
    const o = { emitWatermark: (w: number) => out.push(w), emitWatermarkStatus: (idle: boolean) => statuses.push(idle) };
    for (const e of evs) {
      if (e.kind === 'wm') valve.inputWatermark(e.wm, e.ch, o);
      else if (e.kind === 'end') valve.endOfInput(e.ch, o);
      else valve.inputWatermarkStatus(e.kind === 'idle', e.ch, o);
    }
    return { out, statuses, valve };
  }

  test('without idleness or ends, the output is exactly the advancing minimum over channels', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(fc.constant(n), events(n))), ([n, evs]) => {
        const only = evs.filter((e) => e.kind === 'wm');
        const { out } = run(n, only);
        // Reference: per channel the max seen so far; output whenever the min over channels grows.
        const wm = new Array<number>(n).fill(Number.NEGATIVE_INFINITY);
        const expected: number[] = [];
        let last = Number.NEGATIVE_INFINITY;
        for (const e of only) {
          if (e.kind !== 'wm') continue;
          wm[e.ch] = Math.max(wm[e.ch]!, e.wm);
          const min = Math.min(...wm);
          if (min > last) expected.push((last = min));
        }
        expect(out).toEqual(expected);
      }),
    );
  });

  test('with idleness and ends: output watermarks strictly increase, never pass the highest input, statuses alternate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(fc.constant(n), events(n))), ([n, evs]) => {
        const { out, statuses } = run(n, evs);
        for (let i = 1; i < out.length; i++) expect(out[i]!).toBeGreaterThan(out[i - 1]!);
        const maxIn = Math.max(Number.NEGATIVE_INFINITY, ...evs.filter((e) => e.kind === 'wm').map((e) => (e as { wm: number }).wm));
        for (const w of out) expect(w).toBeLessThanOrEqual(maxIn);
        statuses.forEach((s, i) => expect(s).toBe(i % 2 === 0)); // idle, active, idle, ...
      }),
    );
  });

  test('the output is idle exactly while every channel still open is idle (also when the last active channel ends)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(fc.constant(n), events(n, 6))), ([n, evs]) => {
        const valve = new StatusWatermarkValve(n);
        let idleOut = false;
        const o = { emitWatermark: () => {}, emitWatermarkStatus: (idle: boolean) => void (idleOut = idle) };
        const idle = new Array<boolean>(n).fill(false);
        const ended = new Array<boolean>(n).fill(false);
        for (const e of evs) {
          if (e.kind === 'wm') valve.inputWatermark(e.wm, e.ch, o);
          else if (e.kind === 'end') {
            valve.endOfInput(e.ch, o);
            ended[e.ch] = true;
          } else {
            valve.inputWatermarkStatus(e.kind === 'idle', e.ch, o);
            if (!ended[e.ch]) idle[e.ch] = e.kind === 'idle';
          }
          const open = idle.filter((_, i) => !ended[i]);
          if (open.length > 0) expect(idleOut).toBe(open.every((x) => x));
        }
      }),
      { numRuns: 500 },
    );
  });

  test('when the channel holding the watermark ends and the others are idle, the output flushes to their highest and goes idle', () => {
    const valve = new StatusWatermarkValve(3);
    const out: number[] = [];
    const statuses: boolean[] = [];
    const o = { emitWatermark: (w: number) => out.push(w), emitWatermarkStatus: (idle: boolean) => statuses.push(idle) };
    valve.inputWatermark(10, 0, o);
    valve.inputWatermark(30, 1, o);
    valve.inputWatermark(20, 2, o);
    valve.inputWatermarkStatus(true, 1, o);
    valve.inputWatermarkStatus(true, 2, o);
    expect(out).toEqual([10]); // channel 0 holds it
    valve.endOfInput(0, o);
    expect(out).toEqual([10, 30]);
    expect(statuses).toEqual([true]);
    valve.inputWatermarkStatus(false, 2, o); // one resumes: active again
    expect(statuses).toEqual([true, false]);
  });

  /**
   * Flink's StatusWatermarkValve, which knows no end of input: a finished channel stays active and
   * aligned at the MAX_WATERMARK it sent before its EndOfPartition.
   */
  function flinkValveWatermarks(n: number, evs: ValveEvent[]): number[] {
    const wm = new Array<number>(n).fill(Number.NEGATIVE_INFINITY);
    const active = new Array<boolean>(n).fill(true);
    const aligned = new Array<boolean>(n).fill(true);
    let last = Number.NEGATIVE_INFINITY;
    let outIdle = false;
    const out: number[] = [];
    const newMin = (): void => {
      const ws = wm.filter((_, i) => aligned[i]);
      if (ws.length > 0 && Math.min(...ws) > last) out.push((last = Math.min(...ws)));
    };
    for (const e of evs) {
      if (e.kind === 'wm') {
        if (outIdle || !active[e.ch] || e.wm <= wm[e.ch]!) continue;
        wm[e.ch] = e.wm;
        if (!aligned[e.ch] && e.wm >= last) aligned[e.ch] = true;
        newMin();
      } else if (e.kind === 'idle' && active[e.ch]) {
        active[e.ch] = false;
        aligned[e.ch] = false;
        if (!active.some(Boolean)) {
          if (wm[e.ch] === last && Math.max(...wm) > last) out.push((last = Math.max(...wm)));
          outIdle = true;
        } else if (wm[e.ch] === last) newMin();
      } else if (e.kind === 'active' && !active[e.ch]) {
        active[e.ch] = true;
        if (wm[e.ch]! >= last) aligned[e.ch] = true;
        outIdle = false;
      }
    }
    return out;
  }

  test('channels that end as sources end them (active, the final +∞ watermark, end of input): the output watermarks are Flink\'s, whatever the others do after', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(fc.constant(n), events(n, 3))), ([n, raw]) => {
        // An end of input comes as the source sends it, and nothing follows it on its channel.
        const ended = new Array<boolean>(n).fill(false);
        const evs: ValveEvent[] = [];
        for (const e of raw) {
          if (ended[e.ch]) continue;
          if (e.kind === 'end') {
            ended[e.ch] = true;
            evs.push({ ch: e.ch, kind: 'active' }, { ch: e.ch, kind: 'wm', wm: Number.POSITIVE_INFINITY }, e);
          } else evs.push(e);
        }
        expect(run(n, evs).out).toEqual(flinkValveWatermarks(n, evs));
      }),
      { numRuns: 1000 },
    );
  });

  test('a channel that ended at +∞ before the others went idle: when they do, the output reaches +∞ (the window downstream fires)', () => {
    const valve = new StatusWatermarkValve(2);
    const out: number[] = [];
    const o = { emitWatermark: (w: number) => out.push(w), emitWatermarkStatus: () => {} };
    valve.inputWatermark(Number.POSITIVE_INFINITY, 0, o); // the bounded subtask's end
    valve.endOfInput(0, o);
    expect(out).toEqual([]); // channel 1 (no watermark yet) holds it
    valve.inputWatermarkStatus(true, 1, o); // channel 1 found idle later
    expect(out).toEqual([Number.POSITIVE_INFINITY]);
  });

  test('an idle channel does not hold the watermark back; a resumed one counts again once it catches up', () => {
    const valve = new StatusWatermarkValve(2);
    const out: number[] = [];
    const statuses: boolean[] = [];
    const o = { emitWatermark: (w: number) => out.push(w), emitWatermarkStatus: (idle: boolean) => statuses.push(idle) };
    valve.inputWatermark(10, 0, o);
    valve.inputWatermark(5, 1, o);
    expect(out).toEqual([5]);
    valve.inputWatermarkStatus(true, 1, o); // channel 1 goes quiet
    expect(out).toEqual([5, 10]);
    valve.inputWatermark(20, 0, o);
    expect(out).toEqual([5, 10, 20]);
    valve.inputWatermarkStatus(false, 1, o); // resumes behind (at 5): unaligned, does not pull back
    valve.inputWatermark(30, 0, o);
    expect(out).toEqual([5, 10, 20, 30]);
    valve.inputWatermark(25, 1, o); // still behind 30: not yet aligned
    valve.inputWatermark(40, 0, o);
    expect(out).toEqual([5, 10, 20, 30, 40]);
    valve.inputWatermark(35, 1, o); // 35 < 40: still unaligned
    valve.inputWatermark(41, 1, o); // caught up: aligned, now the minimum is 40 (channel 0)
    valve.inputWatermark(50, 0, o);
    expect(out).toEqual([5, 10, 20, 30, 40, 41]);
    valve.inputWatermarkStatus(true, 0, o);
    valve.inputWatermarkStatus(true, 1, o); // all idle: flush to the max, output idle
    expect(out[out.length - 1]).toBe(50);
    expect(statuses).toEqual([true]);
  });
});

/** Records, per record, the watermark current at the sink when it arrived. */
class WatermarkAtSink<T> implements Sink<T> {
  readonly seen: Array<{ value: T; ts: number | null; watermark: number }> = [];
  createWriter() {
    const seen = this.seen;
    return {
      write(value: T, ctx: SinkRecordContext) {
        seen.push({ value, ts: ctx.timestamp(), watermark: ctx.currentWatermark() });
      },
      flush() {},
      close() {},
    };
  }
}

/** Event timestamps whose disorder stays within `bound`: each is at least (max so far - bound). */
const boundedDisorder = (bound: number): fc.Arbitrary<number[]> =>
  fc.array(fc.tuple(fc.nat({ max: 50 }), fc.nat({ max: bound })), { minLength: 20, maxLength: 120 }).map((steps) => {
    let max = 1_000;
    return steps.map(([advance, back]) => {
      max += advance;
      return max - back;
    });
  });

describe('watermarks in a running job', () => {
  test('with bounded out-of-orderness no in-bound event is ever behind the watermark, at any parallelism', async () => {
    let advanced = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 40 }).chain((b) => fc.tuple(fc.constant(b), boundedDisorder(b))), fc.integer({ min: 1, max: 4 }), async ([bound, tss], p) => {
        const env = StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });
        env.getConfig().setAutoWatermarkInterval(1);
        const sink = new WatermarkAtSink<number>();
        env
          .fromSource(new TrickleSource(tss, 7), WatermarkStrategy.forBoundedOutOfOrderness<number>(bound).withTimestampAssigner((t) => t), 'trickle')
          .rebalance()
          .map((t) => t)
          .keyBy((t) => t % 3)
          .sinkTo(sink);
        await env.execute();
        expect(sink.seen).toHaveLength(tss.length);
        for (const s of sink.seen) {
          expect(s.ts).toBe(s.value);
          expect(s.watermark).toBeLessThan(s.value);
        }
        if (sink.seen.some((s) => Number.isFinite(s.watermark))) advanced++;
      }),
      { numRuns: 30 },
    );
    expect(advanced).toBeGreaterThan(0); // the property was not vacuous: watermarks did flow
  });

  test('events beyond the bound are exactly the ones that can arrive behind the watermark', async () => {
    const env = StreamExecutionEnvironment.create();
    env.getConfig().setAutoWatermarkInterval(1);
    const sink = new WatermarkAtSink<number>();
    // 100 in order, then (after watermarks had time to pass 1099 - 5 - 1) an event far behind.
    const tss = [...Array.from({ length: 100 }, (_, i) => 1000 + i), 10];
    env.fromSource(new TrickleSource(tss, 10), WatermarkStrategy.forBoundedOutOfOrderness<number>('5 ms').withTimestampAssigner((t) => t), 'trickle').sinkTo(sink);
    await env.execute();
    const late = sink.seen.filter((s) => s.watermark >= s.value).map((s) => s.value);
    expect(late.every((v) => v === 10)).toBe(true);
    expect(sink.seen.map((s) => s.value)).toEqual(tss); // late data is not dropped by watermarking
  });

  test('BATCH mode assigns timestamps but emits only the final watermark', async () => {
    const env = StreamExecutionEnvironment.create({ 'execution.runtime-mode': 'BATCH' });
    env.getConfig().setAutoWatermarkInterval(1);
    const sink = new WatermarkAtSink<number>();
    const tss = Array.from({ length: 60 }, (_, i) => 1000 + i);
    env.fromSource(new TrickleSource(tss, 5), WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((t) => t), 'trickle').sinkTo(sink);
    await env.execute();
    expect(sink.seen.map((s) => s.ts)).toEqual(tss);
    expect(sink.seen.every((s) => s.watermark === Number.NEGATIVE_INFINITY)).toBe(true);
  });
});

/** An unbounded source that emits `items` and then stays silent until canceled. */
class QuietAfterSource<T> implements Source<T> {
  readonly boundedness = 'CONTINUOUS_UNBOUNDED';
  readonly nonParallel = true;
  constructor(private readonly items: readonly T[]) {}
  createReader(): SourceReader<T> {
    const items = this.items;
    let next = 0;
    let wake: (() => void) | null = null;
    return {
      start() {},
      pollNext(output: ReaderOutput<T>): InputStatus {
        if (next < items.length) output.collect(items[next++]!);
        return next < items.length ? 'MORE_AVAILABLE' : 'NOTHING_AVAILABLE';
      },
      isAvailable: () => (next < items.length ? Promise.resolve() : new Promise<void>((r) => (wake = r))),
      close() {
        wake?.();
      },
    };
  }
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('idleness', () => {
  async function runUnion(idleness: boolean): Promise<Array<{ value: string; watermark: number }>> {
    const env = StreamExecutionEnvironment.create();
    env.getConfig().setAutoWatermarkInterval(2);
    let quiet = WatermarkStrategy.forMonotonousTimestamps<string>().withTimestampAssigner(() => 100);
    if (idleness) quiet = quiet.withIdleness('20 ms');
    const active = WatermarkStrategy.forMonotonousTimestamps<string>().withTimestampAssigner((s) => Number(s.slice(1)));
    const sink = new WatermarkAtSink<string>();
    const slow = env.fromSource(new QuietAfterSource(['q100']), quiet, 'quiet');
    const busy = env.fromSource(new TrickleSource(Array.from({ length: 200 }, (_, i) => `a${1000 + i * 10}`), 4), active, 'busy');
    slow.union(busy).map((s) => s).sinkTo(sink);
    const client = await env.executeAsync('idleness');
    try {
      await waitFor(() => sink.seen.length === 201, 'all records');
      if (idleness) await waitFor(() => sink.seen.some((s) => s.watermark > 100), 'the watermark to pass the quiet input');
      else await new Promise((r) => setTimeout(r, 200)); // the busy side's watermarks have long been emitted
      return sink.seen;
    } finally {
      await client.cancel();
    }
  }

  test('a quiet input marked idle does not hold back the watermark', async () => {
    const seen = await runUnion(true);
    expect(Math.max(...seen.map((s) => s.watermark))).toBeGreaterThan(100);
  });

  test('without idleness the quiet input holds the watermark at its own', async () => {
    const seen = await runUnion(false);
    expect(Math.max(...seen.map((s) => s.watermark))).toBeLessThanOrEqual(99);
  });
});
