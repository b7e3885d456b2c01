/**
 * Checkpointing is configured under Flink's keys and defaults (execution.checkpointing.*,
 * state.checkpoints.*, state.savepoints.dir, execution.savepoint.*), or in code with Flink's
 * CheckpointConfig; code wins over config; bad values are refused naming the key; what the job gets
 * (ExecutionParameters.checkpointing / savepointRestore) is what was set.
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import fc from 'fast-check';
import { Duration } from 'luxon';
import {
  CheckpointingMode,
  CheckpointingOptions,
  Configuration,
  ConfigOptions,
  ExecutionCheckpointingOptions,
  ExternalizedCheckpointRetention,
  IllegalArgumentException,
  IllegalConfigurationException,
  SavepointConfigOptions,
  StreamExecutionEnvironment,
  type Sink,
} from '../../lib/index.ts';
import { setContextExecutor } from '../../lib/runtime/context.ts';
import { installRecordingExecutor } from './recording-executor.ts';

afterEach(() => {
  setContextExecutor(undefined);
  vi.restoreAllMocks();
});

const discard: Sink<number> = { createWriter: () => ({ write() {}, flush() {}, close() {} }) };

/** The ExecutionParameters the environment resolves for a one-operator job. */
async function parametersOf(env: StreamExecutionEnvironment) {
  const recorder = installRecordingExecutor();
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  env.fromElements(1).uid('src').sinkTo(discard);
  await env.executeAsync('job');
  return recorder.calls[0]!.parameters;
}

describe('defaults (Flink)', () => {
  test('without an interval checkpointing is off: no checkpointing, no restore, no restarts', async () => {
    const env = StreamExecutionEnvironment.create();
    expect(env.getCheckpointConfig().isCheckpointingEnabled()).toBe(false);
    expect(env.getCheckpointConfig().getCheckpointInterval()).toBe(-1);
    const p = await parametersOf(env);
    expect(p.checkpointing).toBeUndefined();
    expect(p.savepointRestore).toBeUndefined();
    expect(p.restartStrategy).toEqual({ type: 'none' });
  });

  test('with an interval: every other setting at its Flink default', async () => {
    const p = await parametersOf(StreamExecutionEnvironment.create({ 'execution.checkpointing.interval': '1 s' }));
    expect(p.checkpointing).toEqual({
      interval: 1000,
      mode: 'EXACTLY_ONCE',
      timeout: 600_000,
      minPauseBetweenCheckpoints: 0,
      maxConcurrentCheckpoints: 1,
      tolerableCheckpointFailureNumber: 0,
      numRetainedCheckpoints: 1,
      directory: './checkpoints',
      externalizedCheckpointRetention: 'RETAIN_ON_CANCELLATION',
    });
  });

  test('every implemented key is known to ConfigOptions and has no warning', () => {
    const keys = [
      ...Object.values(ExecutionCheckpointingOptions),
      ...Object.values(CheckpointingOptions),
      ...Object.values(SavepointConfigOptions),
    ].map((o) => o.key);
    for (const key of keys) {
      expect(ConfigOptions.keys()).toContain(key);
      expect(ConfigOptions.warningFor(key, '-D')).toBeUndefined();
    }
  });
});

describe('every key, from config', () => {
  test('each key reaches ExecutionParameters.checkpointing', async () => {
    const p = await parametersOf(
      StreamExecutionEnvironment.create({
        'execution.checkpointing.interval': '5s',
        'execution.checkpointing.mode': 'at_least_once',
        'execution.checkpointing.timeout': '2 min',
        'execution.checkpointing.min-pause': 'PT0.5S',
        'execution.checkpointing.max-concurrent-checkpoints': '3',
        'execution.checkpointing.tolerable-failed-checkpoints': 2,
        'execution.checkpointing.externalized-checkpoint-retention': 'DELETE_ON_CANCELLATION',
        'state.checkpoints.dir': 'file:///tmp/tidemark-cp',
        'state.checkpoints.num-retained': 4,
      }),
    );
    expect(p.checkpointing).toEqual({
      interval: 5000,
      mode: 'AT_LEAST_ONCE',
      timeout: 120_000,
      minPauseBetweenCheckpoints: 500,
      maxConcurrentCheckpoints: 3,
      tolerableCheckpointFailureNumber: 2,
      numRetainedCheckpoints: 4,
      directory: '/tmp/tidemark-cp',
      externalizedCheckpointRetention: 'DELETE_ON_CANCELLATION',
    });
  });

  test('a bare number is milliseconds, as in Flink', () => {
    const c = new Configuration({ 'execution.checkpointing.interval': 250, 'execution.checkpointing.timeout': '30000' });
    expect(c.get(ExecutionCheckpointingOptions.CHECKPOINTING_INTERVAL)).toBe(250);
    expect(c.get(ExecutionCheckpointingOptions.CHECKPOINTING_TIMEOUT)).toBe(30_000);
  });

  test('nested in YAML, as Flink writes it', () => {
    const c = Configuration.fromYaml('execution:\n  checkpointing:\n    interval: 10 s\n    mode: EXACTLY_ONCE\nstate:\n  checkpoints:\n    dir: cp\n    num-retained: 2\n');
    expect(c.get(ExecutionCheckpointingOptions.CHECKPOINTING_INTERVAL)).toBe(10_000);
    expect(c.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).toBe('cp');
    expect(c.get(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS)).toBe(2);
  });

  test('execution.savepoint.path and ignore-unclaimed-state reach savepointRestore; savepoints.dir has no default', async () => {
    const p = await parametersOf(StreamExecutionEnvironment.create({ 'execution.savepoint.path': '/tmp/sp', 'execution.savepoint.ignore-unclaimed-state': 'true' }));
    expect(p.savepointRestore).toEqual({ path: '/tmp/sp', allowNonRestoredState: true });
    expect(p.checkpointing).toBeUndefined(); // a restore alone does not turn checkpointing on (as in Flink)
    const q = await parametersOf(StreamExecutionEnvironment.create({ 'execution.savepoint.path': 'sp' }));
    expect(q.savepointRestore).toEqual({ path: 'sp', allowNonRestoredState: false });
    expect(new Configuration().get(CheckpointingOptions.SAVEPOINT_DIRECTORY)).toBeUndefined();
    expect(new Configuration({ 'state.savepoints.dir': 'file:/tmp/sp' }).get(CheckpointingOptions.SAVEPOINT_DIRECTORY)).toBe('/tmp/sp');
  });

  test.each([
    ['execution.checkpointing.interval', '5 ms', /at least 10 ms/],
    ['execution.checkpointing.interval', '-1', /execution\.checkpointing\.interval must be a duration/],
    ['execution.checkpointing.interval', 'soon', /execution\.checkpointing\.interval must be a duration/],
    ['execution.checkpointing.mode', 'EXACTLY_TWICE', /must be one of EXACTLY_ONCE, AT_LEAST_ONCE/],
    ['execution.checkpointing.timeout', '1 ms', /at least 10 ms/],
    ['execution.checkpointing.min-pause', '-5', /min-pause must be a duration/],
    ['execution.checkpointing.max-concurrent-checkpoints', '0', /positive integer/],
    ['execution.checkpointing.tolerable-failed-checkpoints', '-1', /non-negative integer/],
    ['execution.checkpointing.externalized-checkpoint-retention', 'NO_EXTERNALIZED_CHECKPOINTS', /RETAIN_ON_CANCELLATION, DELETE_ON_CANCELLATION/],
    ['state.checkpoints.dir', 's3://bucket/cp', /local folder/],
    ['state.checkpoints.dir', '', /non-empty string/],
    ['state.checkpoints.num-retained', '0', /positive integer/],
    ['state.savepoints.dir', 'hdfs://nn/sp', /local folder/],
    ['execution.savepoint.ignore-unclaimed-state', 'yes', /true or false/],
  ])('%s=%s is refused, naming the key', (key, value, why) => {
    expect(() => new Configuration({ [key]: value })).toThrow(IllegalConfigurationException);
    expect(() => new Configuration({ [key]: value })).toThrow(why);
    expect(() => new Configuration({ [key]: value })).toThrow(key);
  });

  test('other execution.checkpointing.* keys warn (no effect); a near miss of a known key names it', () => {
    expect(ConfigOptions.warningFor('execution.checkpointing.unaligned.enabled', '-D', 'true')).toMatch(/does not support yet and has no effect: checkpoints are aligned/);
    expect(ConfigOptions.warningFor('execution.checkpointing.intervall', '-D', '1 s')).toBe(
      "Warning: unknown configuration key 'execution.checkpointing.intervall' (-D) is ignored; did you mean 'execution.checkpointing.interval'?",
    );
    expect(ConfigOptions.warningFor('state.checkpoint-storage', '-D', 'filesystem')).toBeUndefined();
    expect(ConfigOptions.warningFor('state.checkpoint-storage', '-D', 'jobmanager')).toMatch(/state\.checkpoints\.dir/);
  });
});

describe('in code (Flink CheckpointConfig)', () => {
  test('enableCheckpointing and every setter reach ExecutionParameters; getters read them back', async () => {
    const env = StreamExecutionEnvironment.create();
    env.enableCheckpointing('2 s', CheckpointingMode.AT_LEAST_ONCE);
    const cc = env.getCheckpointConfig();
    cc.setCheckpointTimeout(Duration.fromObject({ minutes: 1 }))
      .setMinPauseBetweenCheckpoints('PT1S')
      .setMaxConcurrentCheckpoints(2)
      .setTolerableCheckpointFailureNumber(5)
      .setCheckpointStorage('/tmp/cp-in-code')
      .setNumRetainedCheckpoints(3)
      .setExternalizedCheckpointRetention(ExternalizedCheckpointRetention.DELETE_ON_CANCELLATION);
    expect(cc.isCheckpointingEnabled()).toBe(true);
    expect(cc.getCheckpointInterval()).toBe(2000);
    expect(cc.getCheckpointingMode()).toBe('AT_LEAST_ONCE');
    expect(cc.getCheckpointTimeout()).toBe(60_000);
    expect(cc.getMinPauseBetweenCheckpoints()).toBe(1000);
    expect(cc.getMaxConcurrentCheckpoints()).toBe(2);
    expect(cc.getTolerableCheckpointFailureNumber()).toBe(5);
    expect(cc.getCheckpointStorage()).toBe('/tmp/cp-in-code');
    expect(cc.getNumRetainedCheckpoints()).toBe(3);
    expect(cc.getExternalizedCheckpointRetention()).toBe('DELETE_ON_CANCELLATION');
    const p = await parametersOf(env);
    expect(p.checkpointing).toEqual({
      interval: 2000,
      mode: 'AT_LEAST_ONCE',
      timeout: 60_000,
      minPauseBetweenCheckpoints: 1000,
      maxConcurrentCheckpoints: 2,
      tolerableCheckpointFailureNumber: 5,
      numRetainedCheckpoints: 3,
      directory: '/tmp/cp-in-code',
      externalizedCheckpointRetention: 'DELETE_ON_CANCELLATION',
    });
  });

  test('setCheckpointInterval turns checkpointing on; the mode defaults to EXACTLY_ONCE', () => {
    const env = StreamExecutionEnvironment.create();
    env.getCheckpointConfig().setCheckpointInterval(100);
    expect(env.getCheckpointConfig().isCheckpointingEnabled()).toBe(true);
    expect(env.enableCheckpointing(500).getCheckpointConfig().getCheckpointingMode()).toBe('EXACTLY_ONCE');
  });

  test('code wins over config (the environment from the CLI context)', async () => {
    const env = StreamExecutionEnvironment.create({ 'execution.checkpointing.interval': '1 min', 'execution.checkpointing.mode': 'AT_LEAST_ONCE', 'state.checkpoints.dir': 'from-config' });
    env.enableCheckpointing('1 s', 'EXACTLY_ONCE');
    env.getCheckpointConfig().setCheckpointStorage('from-code');
    const p = await parametersOf(env);
    expect(p.checkpointing).toMatchObject({ interval: 1000, mode: 'EXACTLY_ONCE', directory: 'from-code' });
    // What the workers' environments start from says the same.
    expect(p.configuration['execution.checkpointing.interval']).toBe(1000);
  });

  test('bad values are refused with a clear IllegalArgumentException', () => {
    const env = StreamExecutionEnvironment.create();
    const cc = env.getCheckpointConfig();
    expect(() => env.enableCheckpointing(9)).toThrow(new IllegalArgumentException('Checkpoint interval must be larger than or equal to 10 ms, got 9'));
    expect(() => env.enableCheckpointing(-1000)).toThrow(IllegalArgumentException);
    expect(() => env.enableCheckpointing('often')).toThrow(/Invalid checkpoint interval 'often'/);
    expect(() => env.enableCheckpointing('1 s', 'EXACTLY_TWICE' as never)).toThrow(/Unknown checkpointing mode "EXACTLY_TWICE"/);
    expect(() => cc.setCheckpointingMode('exactly_once' as never)).toThrow(IllegalArgumentException);
    expect(() => cc.setCheckpointTimeout(5)).toThrow(/Checkpoint timeout must be larger than or equal to 10 ms/);
    expect(() => cc.setMinPauseBetweenCheckpoints(-1)).toThrow(IllegalArgumentException);
    expect(() => cc.setMaxConcurrentCheckpoints(0)).toThrow(/maximum number of concurrent checkpoints must be an integer of at least 1/);
    expect(() => cc.setTolerableCheckpointFailureNumber(-1)).toThrow(/tolerable checkpoint failure number must be an integer of at least 0/);
    expect(() => cc.setNumRetainedCheckpoints(0)).toThrow(IllegalArgumentException);
    expect(() => cc.setCheckpointStorage('s3://bucket')).toThrow(/state\.checkpoints\.dir must be a local folder/);
    expect(() => cc.setExternalizedCheckpointRetention('NO_EXTERNALIZED_CHECKPOINTS' as never)).toThrow(IllegalArgumentException);
    // Nothing was set by a refused call.
    expect(cc.isCheckpointingEnabled()).toBe(false);
  });

  test('property: the API and the config key take a duration the same way', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 10_000_000 }), fc.constantFrom<[string, number]>(['ms', 1], ['s', 1000], ['min', 60_000]), (n, [unit, factor]) => {
        const text = `${n} ${unit}`;
        const env = StreamExecutionEnvironment.create();
        env.enableCheckpointing(text);
        const fromConfig = new Configuration({ 'execution.checkpointing.interval': text }).get(ExecutionCheckpointingOptions.CHECKPOINTING_INTERVAL);
        const expected = n * factor;
        expect(env.getCheckpointConfig().getCheckpointInterval()).toBe(expected);
        expect(fromConfig).toBe(expected);
      }),
      { numRuns: 50 },
    );
  });
});
