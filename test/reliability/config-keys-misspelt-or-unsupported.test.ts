/**
 * A configuration key never passes silently: a misspelt one is reported (one line, naming the closest
 * known key) and the job runs; a Flink option that is not supported yet is refused when running
 * without it would betray the user (a state backend other than the heap) and reported otherwise.
 * Checkpointing, restart and savepoint options are implemented (test/api/checkpointing-configuration).
 */
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CheckpointingOptions,
  ConfigOptions,
  Configuration,
  CoreOptions,
  ExecutionCheckpointingOptions,
  IllegalConfigurationException,
  RestartStrategyOptions,
  SavepointConfigOptions,
  StreamExecutionEnvironment,
} from '../../lib/index.ts';
import { FIXTURES, lines, removeTempDirs, runCli, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

const PRINT_CONFIG = join(FIXTURES, 'print-config-job.ts');

describe('misspelt keys', () => {
  test('-D parallelism.defualt=4 warns on stderr, naming parallelism.default, and the job runs with the default', async () => {
    const r = await runCli(['run', '-D', 'parallelism.defualt=4', PRINT_CONFIG]);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stderr)).toEqual(["Warning: unknown configuration key 'parallelism.defualt' (-D) is ignored; did you mean 'parallelism.default'?"]);
    expect(r.stdout).toContain('"parallelism":1');
  });

  test('the same in tidemark.yaml, nested', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tidemark.yaml'), 'paralelism:\n  default: 2\nexecution:\n  runtime-mode: BATCH\n');
    const r = await runCli(['run', PRINT_CONFIG], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stderr)).toEqual(["Warning: unknown configuration key 'paralelism.default' (in tidemark.yaml) is ignored; did you mean 'parallelism.default'?"]);
  });

  test('a key far from any known one is reported without a guess; known keys are not reported', async () => {
    const r = await runCli(['run', '-D', 'my.own.setting=x', '-D', 'execution.runtime-mode=BATCH', PRINT_CONFIG]);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stderr)).toEqual(["Warning: unknown configuration key 'my.own.setting' (-D) is ignored"]);
  });

  test('closest(): typos, swapped letters and case are found; unrelated keys are not', () => {
    expect(ConfigOptions.closest('parallelism.defualt')).toBe('parallelism.default');
    expect(ConfigOptions.closest('taskmanager.numberoftaskslots')).toBe('taskmanager.numberOfTaskSlots');
    expect(ConfigOptions.closest('execution.runtime.mode')).toBe('execution.runtime-mode');
    expect(ConfigOptions.closest('my.own.setting')).toBeUndefined();
    for (const key of ConfigOptions.keys()) expect(ConfigOptions.warningFor(key, '-D')).toBeUndefined();
    expect(ConfigOptions.keys()).toEqual(
      [CoreOptions, ExecutionCheckpointingOptions, CheckpointingOptions, SavepointConfigOptions, RestartStrategyOptions].flatMap((g) =>
        Object.values(g).map((o) => o.key),
      ),
    );
  });
});

describe('Flink options that are not supported yet', () => {
  test.each([
    ['state.backend.type=rocksdb', /keyed state lives on the heap/],
    ['state.backend=rocksdb', /there is no other state backend/],
    ['state.backend.incremental=true', /keyed state lives on the heap/],
  ])('-D %s is refused: one line, non-zero exit, the job does not run', async (kv, why) => {
    const r = await runCli(['run', '-D', kv, PRINT_CONFIG]);
    expect(r.code).not.toBe(0);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(`Unsupported option ${kv.slice(0, kv.indexOf('='))}`);
    expect(r.stderr).toMatch(why);
    expect(r.stdout).toBe('');
  });

  test('refused in tidemark.yaml too (nested keys), naming the file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tidemark.yaml'), 'state:\n  backend:\n    type: rocksdb\n');
    const r = await runCli(['run', PRINT_CONFIG], { cwd: dir });
    expect(r.code).not.toBe(0);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('tidemark.yaml');
    expect(r.stderr).toContain('Unsupported option state.backend.type');
  });

  test('high-availability is accepted with a warning that says what happens instead', async () => {
    const r = await runCli(['run', '-D', 'high-availability.type=zookeeper', PRINT_CONFIG]);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stderr)).toEqual([
      'Warning: high-availability.type (-D) is a Flink option tidemark does not support yet and has no effect: the job runs in this process only.',
    ]);
  });

  test('checkpointing, restart and savepoint options are taken without a word', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'tidemark.yaml'),
      'execution:\n  checkpointing:\n    interval: 10 s\nstate:\n  checkpoints:\n    dir: file:///tmp/cp\n  savepoints:\n    dir: /tmp/sp\nrestart-strategy:\n  type: fixed-delay\n',
    );
    const r = await runCli(['run', PRINT_CONFIG], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    // (The job's source has no uid(): that warning is about the job, not the configuration.)
    expect(r.stderr).not.toMatch(/configuration key|is a Flink option|Unsupported option/);
    expect(r.stderr).toContain("Warning: stateful operator 'Collection Source' has no uid()");
  });

  test('in code, too: an environment configured with another state backend is refused', () => {
    expect(() => StreamExecutionEnvironment.create({ 'state.backend.type': 'rocksdb' })).toThrow(IllegalConfigurationException);
    expect(() => new Configuration().setString('state.backend', 'rocksdb')).toThrow(/Unsupported option state\.backend:/);
    // Unknown keys are still kept as they are (a connector of the user's may read them).
    expect(new Configuration({ 'my.connector.option': 'x' }).toMap()['my.connector.option']).toBe('x');
  });
});

describe("Flink's hashmap state backend is what tidemark does: a Flink config naming it runs", () => {
  test.each(['state.backend.type=hashmap', 'state.backend=HashMap'])('-D %s: no warning, the job runs', async (kv) => {
    const r = await runCli(['run', '-D', kv, PRINT_CONFIG]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });

  test('the same nested in tidemark.yaml', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tidemark.yaml'), 'state:\n  backend:\n    type: hashmap\nparallelism:\n  default: 1\n');
    const r = await runCli(['run', PRINT_CONFIG], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });

  test('other state.backend.* keys and backends are still refused', () => {
    expect(() => new Configuration({ 'state.backend.type': 'rocksdb' })).toThrow(IllegalConfigurationException);
    expect(() => new Configuration({ 'state.backend.incremental': 'hashmap' })).toThrow(IllegalConfigurationException);
    expect(new Configuration({ 'state.backend.type': 'hashmap' }).toMap()['state.backend.type']).toBe('hashmap');
  });
});

describe('keys given in code', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  test('a misspelt key warns, naming the closest known key, as -D does', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const env = StreamExecutionEnvironment.create({ 'parallelism.defualt': 4 });
    expect(env.getParallelism()).toBe(1);
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
      "Warning: unknown configuration key 'parallelism.defualt' (in code) is ignored; did you mean 'parallelism.default'?",
    ]);
    warn.mockClear();
    StreamExecutionEnvironment.getExecutionEnvironment({ 'taskmanager.numberOfTaskSlot': 4 });
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
      "Warning: unknown configuration key 'taskmanager.numberOfTaskSlot' (in code) is ignored; did you mean 'taskmanager.numberOfTaskSlots'?",
    ]);
  });

  test('a Flink option without effect warns; a key of your own and known keys do not', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    StreamExecutionEnvironment.create({ 'my.connector.option': 'x', 'parallelism.default': 2, 'state.backend.type': 'hashmap' });
    expect(warn).not.toHaveBeenCalled();
    StreamExecutionEnvironment.create(new Configuration({ 'restart-strategy.type': 'fixed-delay', 'pipeline.object-reuse': true }));
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
      'Warning: pipeline.object-reuse (in code) is a Flink option tidemark does not support yet and has no effect: records are passed by reference between chained operators.',
    ]);
  });
});
