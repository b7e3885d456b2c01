/**
 * The restart strategy a job runs with, resolved as Flink does: restart-strategy.type (any of Flink's
 * spellings) with its keys' defaults, or env.setRestartStrategy (which wins over config); unset, fixed
 * delay without limit 1 s apart when checkpointing is on, no restart when it is off.
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  Configuration,
  ConfigOptions,
  IllegalArgumentException,
  IllegalConfigurationException,
  RestartStrategies,
  RestartStrategyOptions,
  StreamExecutionEnvironment,
  type Sink,
} from '../../lib/index.ts';
import { setContextExecutor } from '../../lib/runtime/context.ts';
import { installRecordingExecutor } from './recording-executor.ts';

afterEach(() => {
  setContextExecutor(undefined);
  vi.restoreAllMocks();
});

const MAX_INT = 2_147_483_647;
const discard: Sink<number> = { createWriter: () => ({ write() {}, flush() {}, close() {} }) };

async function strategyOf(env: StreamExecutionEnvironment) {
  const recorder = installRecordingExecutor();
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  env.fromElements(1).uid('src').sinkTo(discard);
  await env.executeAsync('job');
  return recorder.calls[0]!.parameters.restartStrategy;
}

describe('defaults', () => {
  test('no checkpointing, no strategy: no restart', async () => {
    expect(await strategyOf(StreamExecutionEnvironment.create())).toEqual({ type: 'none' });
  });

  test('checkpointing on, no strategy: fixed delay, Integer.MAX_VALUE attempts, 1 s apart (in code and from config)', async () => {
    expect(await strategyOf(StreamExecutionEnvironment.create().enableCheckpointing('1 s'))).toEqual({ type: 'fixed-delay', attempts: MAX_INT, delay: 1000 });
    expect(await strategyOf(StreamExecutionEnvironment.create({ 'execution.checkpointing.interval': '10 s' }))).toEqual({
      type: 'fixed-delay',
      attempts: MAX_INT,
      delay: 1000,
    });
    // As in Flink, the fixed-delay keys apply only with restart-strategy.type: fixed-delay (the README says so).
    expect(
      await strategyOf(StreamExecutionEnvironment.create({ 'execution.checkpointing.interval': '10 s', 'restart-strategy.fixed-delay.delay': '0', 'restart-strategy.fixed-delay.attempts': '2' })),
    ).toEqual({ type: 'fixed-delay', attempts: MAX_INT, delay: 1000 });
  });

  test('a strategy that is set is taken, with or without checkpointing', async () => {
    expect(await strategyOf(StreamExecutionEnvironment.create({ 'execution.checkpointing.interval': '1 s', 'restart-strategy.type': 'none' }))).toEqual({
      type: 'none',
    });
    expect(await strategyOf(StreamExecutionEnvironment.create({ 'restart-strategy.type': 'fixed-delay' }))).toEqual({ type: 'fixed-delay', attempts: 1, delay: 1000 });
  });
});

describe('restart-strategy.type and its keys', () => {
  test.each([
    ['none', { type: 'none' }],
    ['off', { type: 'none' }],
    ['disable', { type: 'none' }],
    ['fixed-delay', { type: 'fixed-delay', attempts: 1, delay: 1000 }],
    ['fixeddelay', { type: 'fixed-delay', attempts: 1, delay: 1000 }],
    ['failure-rate', { type: 'failure-rate', maxFailuresPerInterval: 1, failureRateInterval: 60_000, delay: 1000 }],
    ['FailureRate', { type: 'failure-rate', maxFailuresPerInterval: 1, failureRateInterval: 60_000, delay: 1000 }],
    [
      'exponential-delay',
      { type: 'exponential-delay', initialBackoff: 1000, maxBackoff: 60_000, backoffMultiplier: 1.5, resetBackoffThreshold: 3_600_000, attempts: MAX_INT },
    ],
  ])('%s, every other key at its Flink default', async (type, expected) => {
    expect(await strategyOf(StreamExecutionEnvironment.create({ 'restart-strategy.type': type }))).toEqual(expected);
  });

  test('every key of each strategy is taken', async () => {
    expect(
      await strategyOf(
        StreamExecutionEnvironment.create({ 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.attempts': '3', 'restart-strategy.fixed-delay.delay': '10 s' }),
      ),
    ).toEqual({ type: 'fixed-delay', attempts: 3, delay: 10_000 });
    expect(
      await strategyOf(
        StreamExecutionEnvironment.create({
          'restart-strategy.type': 'failure-rate',
          'restart-strategy.failure-rate.max-failures-per-interval': 5,
          'restart-strategy.failure-rate.failure-rate-interval': '5 min',
          'restart-strategy.failure-rate.delay': '2 s',
        }),
      ),
    ).toEqual({ type: 'failure-rate', maxFailuresPerInterval: 5, failureRateInterval: 300_000, delay: 2000 });
    expect(
      await strategyOf(
        StreamExecutionEnvironment.create({
          'restart-strategy.type': 'exponential-delay',
          'restart-strategy.exponential-delay.initial-backoff': '100 ms',
          'restart-strategy.exponential-delay.max-backoff': '10 s',
          'restart-strategy.exponential-delay.backoff-multiplier': '2.0',
          'restart-strategy.exponential-delay.reset-backoff-threshold': '1 min',
          'restart-strategy.exponential-delay.attempts-before-reset-backoff': 7,
        }),
      ),
    ).toEqual({ type: 'exponential-delay', initialBackoff: 100, maxBackoff: 10_000, backoffMultiplier: 2, resetBackoffThreshold: 60_000, attempts: 7 });
  });

  test.each([
    ['restart-strategy.type', 'sometimes', /restart-strategy\.type must be one of none, off, disable, fixed-delay/],
    ['restart-strategy.fixed-delay.attempts', '-1', /non-negative integer/],
    ['restart-strategy.fixed-delay.delay', 'later', /must be a duration/],
    ['restart-strategy.failure-rate.max-failures-per-interval', '0', /positive integer/],
    ['restart-strategy.failure-rate.failure-rate-interval', '0', /at least 1 ms/],
    ['restart-strategy.exponential-delay.backoff-multiplier', '0.5', /at least 1/],
    ['restart-strategy.exponential-delay.attempts-before-reset-backoff', '0', /positive integer/],
  ])('%s=%s is refused, naming the key', (key, value, why) => {
    expect(() => new Configuration({ [key]: value })).toThrow(IllegalConfigurationException);
    expect(() => new Configuration({ [key]: value })).toThrow(why);
    expect(() => new Configuration({ [key]: value })).toThrow(key);
  });

  test('a max backoff below the initial one is refused when the job is submitted', async () => {
    const env = StreamExecutionEnvironment.create({
      'restart-strategy.type': 'exponential-delay',
      'restart-strategy.exponential-delay.initial-backoff': '1 min',
      'restart-strategy.exponential-delay.max-backoff': '1 s',
    });
    await expect(strategyOf(env)).rejects.toThrow(/max-backoff \(1000 ms\) must not be below restart-strategy\.exponential-delay\.initial-backoff/);
  });

  test('the keys are known; the old key and the jitter factor say what happens instead', () => {
    for (const o of Object.values(RestartStrategyOptions)) expect(ConfigOptions.warningFor(o.key, '-D')).toBeUndefined();
    expect(ConfigOptions.warningFor('restart-strategy', '-D', 'fixed-delay')).toMatch(/use restart-strategy\.type/);
    expect(ConfigOptions.warningFor('restart-strategy.exponential-delay.jitter-factor', '-D', '0.1')).toMatch(/without jitter/);
    expect(ConfigOptions.warningFor('restart-strategy.exponential-delay.jitter-factor', '-D', '0')).toBeUndefined();
  });
});

describe('RestartStrategies in code', () => {
  test('each strategy, and Flink names as aliases', () => {
    expect(RestartStrategies.noRestart()).toEqual({ type: 'none' });
    expect(RestartStrategies.fixedDelay(3, '5 s')).toEqual({ type: 'fixed-delay', attempts: 3, delay: 5000 });
    expect(RestartStrategies.fixedDelayRestart(3, 5000)).toEqual(RestartStrategies.fixedDelay(3, '5 s'));
    expect(RestartStrategies.failureRate(2, '1 min', 'PT10S')).toEqual({ type: 'failure-rate', maxFailuresPerInterval: 2, failureRateInterval: 60_000, delay: 10_000 });
    expect(RestartStrategies.failureRateRestart(2, 60_000, 10_000)).toEqual(RestartStrategies.failureRate(2, '1 min', '10 s'));
    expect(RestartStrategies.exponentialDelay('1 s', '1 min', 2, '1 h')).toEqual({
      type: 'exponential-delay',
      initialBackoff: 1000,
      maxBackoff: 60_000,
      backoffMultiplier: 2,
      resetBackoffThreshold: 3_600_000,
      attempts: MAX_INT,
    });
    expect(RestartStrategies.exponentialDelayRestart(1000, 60_000, 2, 3_600_000, 4)).toMatchObject({ attempts: 4 });
  });

  test('bad arguments are refused', () => {
    expect(() => RestartStrategies.fixedDelay(-1, '1 s')).toThrow(IllegalArgumentException);
    expect(() => RestartStrategies.fixedDelay(1.5, '1 s')).toThrow(/Restart attempts must be an integer/);
    expect(() => RestartStrategies.fixedDelay(1, 'soon')).toThrow(/Invalid delay between restart attempts 'soon'/);
    expect(() => RestartStrategies.failureRate(0, '1 min', '1 s')).toThrow(IllegalArgumentException);
    expect(() => RestartStrategies.failureRate(1, 0, '1 s')).toThrow(/failure rate interval must be positive/);
    expect(() => RestartStrategies.exponentialDelay('1 min', '1 s', 2, '1 h')).toThrow(/max backoff/);
    expect(() => RestartStrategies.exponentialDelay('1 s', '1 min', 0.5, '1 h')).toThrow(/backoff multiplier/);
    expect(() => StreamExecutionEnvironment.create().setRestartStrategy({ type: 'sometimes' } as never)).toThrow(/Unknown restart strategy/);
  });

  test('setRestartStrategy wins over config, and getRestartStrategy reads the resolved one', async () => {
    const env = StreamExecutionEnvironment.create({ 'restart-strategy.type': 'failure-rate', 'execution.checkpointing.interval': '1 s' });
    env.setRestartStrategy(RestartStrategies.fixedDelay(2, '3 s'));
    expect(env.getRestartStrategy()).toEqual({ type: 'fixed-delay', attempts: 2, delay: 3000 });
    expect(await strategyOf(env)).toEqual({ type: 'fixed-delay', attempts: 2, delay: 3000 });
    const off = StreamExecutionEnvironment.create({ 'execution.checkpointing.interval': '1 s' }).setRestartStrategy(RestartStrategies.noRestart());
    expect(await strategyOf(off)).toEqual({ type: 'none' });
  });

  test('the strategy set in code travels in the configuration the workers start from', () => {
    const env = StreamExecutionEnvironment.create().setRestartStrategy(RestartStrategies.exponentialDelay('1 s', '10 s', 2, '1 h', 5));
    const again = StreamExecutionEnvironment.create(env.getConfiguration().toMap());
    expect(again.getRestartStrategy()).toEqual(env.getRestartStrategy());
  });
});
