/**
 * With checkpointing on (or a restore asked for), each stateful operator without a uid() gets one
 * warning line at submission, naming it: its state is matched by an id derived from the order the job
 * is built in, which a changed job breaks (Flink's advice). Not for operators with a uid, not for
 * stateless ones, not without checkpointing, and not again where the module is evaluated once more
 * (a slot worker).
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  AsyncDataStream,
  BroadcastProcessFunction,
  KeyedProcessFunction,
  MapStateDescriptor,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  type Sink,
} from '../../lib/index.ts';
import { setContextExecutor, setExecutionContext } from '../../lib/runtime/context.ts';
import { installRecordingExecutor } from './recording-executor.ts';

afterEach(() => {
  setContextExecutor(undefined);
  setExecutionContext(undefined);
  vi.restoreAllMocks();
});

const discard: Sink<number> = { createWriter: () => ({ write() {}, flush() {}, close() {} }) };

/** The warnings printed while the job built by `build` is submitted. */
async function warningsFor(config: Record<string, unknown>, build: (env: StreamExecutionEnvironment) => void): Promise<string[]> {
  installRecordingExecutor();
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  const env = StreamExecutionEnvironment.create(config);
  build(env);
  await env.executeAsync('job');
  return warn.mock.calls.map((c) => String(c[0]));
}

const CHECKPOINTING = { 'execution.checkpointing.interval': '1 s' };

describe('uid warnings', () => {
  test('one line per stateful operator without a uid, naming it; none for those with a uid or without state', async () => {
    const warnings = await warningsFor(CHECKPOINTING, (env) => {
      const sums = env
        .fromElements(1, 2, 3)
        .uid('numbers')
        .map((x: number) => x + 1)
        .keyBy((x: number) => x % 2)
        .reduce((a: number, b: number) => a + b)
        .name('Sums');
      sums.keyBy((x: number) => x).reduce((a: number, b: number) => a + b).name('Totals').uid('totals').sinkTo(discard);
      // The same operator reached twice (two sinks) is still one line.
      sums.filter(() => true).sinkTo(discard);
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^Warning: stateful operator 'Sums' has no uid\(\): .*Set \.uid\('\.\.\.'\) on it\.$/);
  });

  test('sources, keyed process functions, windows, broadcast and async I/O count as stateful', async () => {
    const warnings = await warningsFor(CHECKPOINTING, (env) => {
      const events = env.fromElements(1, 2, 3).name('Events');
      const rules = env.fromElements(9).uid('rules').broadcast(new MapStateDescriptor<string, number>('rules'));
      const keyed = events.keyBy((x: number) => x);
      keyed
        .process(
          new (class extends KeyedProcessFunction<number, number, number> {
            processElement(v: number, _ctx: unknown, out: { collect(v: number): void }): void {
              out.collect(v);
            }
          })(),
        )
        .name('Keyed')
        .keyBy((x: number) => x)
        .window(TumblingEventTimeWindows.of('1 s'))
        .reduce((a: number, b: number) => a + b)
        .name('Windowed')
        .connect(rules)
        .process(
          new (class extends BroadcastProcessFunction<number, number, number> {
            processElement(v: number, _ctx: unknown, out: { collect(v: number): void }): void {
              out.collect(v);
            }
            processBroadcastElement(): void {}
          })(),
        )
        .name('WithRules')
        .sinkTo(discard);
      AsyncDataStream.orderedWait(events, async (x: number) => [x], '1 s').name('Lookup').sinkTo(discard);
    });
    const named = warnings.map((w) => /operator '([^']+)'/.exec(w)?.[1]);
    expect(named.sort()).toEqual(['Events', 'Keyed', 'Lookup', 'Windowed', 'WithRules']);
  });

  test('a restore without checkpointing warns too', async () => {
    const warnings = await warningsFor({ 'execution.savepoint.path': '/tmp/sp' }, (env) => {
      env.fromElements(1).uid('src').keyBy((x: number) => x).reduce((a: number, b: number) => a + b).name('Sums').sinkTo(discard);
    });
    expect(warnings).toEqual([expect.stringContaining("stateful operator 'Sums' has no uid()")]);
  });

  test('without checkpointing or a restore: no warning', async () => {
    const warnings = await warningsFor({}, (env) => {
      env.fromElements(1).keyBy((x: number) => x).reduce((a: number, b: number) => a + b).name('Sums').sinkTo(discard);
    });
    expect(warnings).toEqual([]);
  });

  test('not again where the configuration was already reported on (a slot worker evaluating the module)', async () => {
    setExecutionContext({ configuration: CHECKPOINTING, configurationReported: true });
    installRecordingExecutor();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.fromElements(1).keyBy((x: number) => x).reduce((a: number, b: number) => a + b).name('Sums').sinkTo(discard);
    await env.executeAsync('job');
    expect(warn).not.toHaveBeenCalled();
  });
});
