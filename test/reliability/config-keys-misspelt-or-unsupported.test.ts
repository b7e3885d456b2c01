/**
 * A configuration key never passes silently: a misspelt one is reported (one line, naming the closest
 * known key) and the job runs; a Flink option that is not supported yet is refused when running
 * without it would betray the user (checkpoints, state backends, savepoints) and reported otherwise.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigOptions, Configuration, CoreOptions, IllegalConfigurationException, StreamExecutionEnvironment } from '../../lib/index.ts';
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
    expect(ConfigOptions.keys()).toEqual(Object.values(CoreOptions).map((o) => o.key));
  });
});

describe('Flink options that are not supported yet', () => {
  test.each([
    ['execution.checkpointing.interval=10s', /checkpoints are not implemented/],
    ['state.backend.type=rocksdb', /keyed state lives on the heap/],
    ['state.checkpoints.dir=file:///tmp/cp', /checkpoints are not implemented/],
    ['state.savepoints.dir=file:///tmp/sp', /savepoints are not implemented/],
    ['execution.savepoint.path=/tmp/sp-1', /savepoints are not implemented/],
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
    writeFileSync(join(dir, 'tidemark.yaml'), 'execution:\n  checkpointing:\n    interval: 10 s\n');
    const r = await runCli(['run', PRINT_CONFIG], { cwd: dir });
    expect(r.code).not.toBe(0);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('tidemark.yaml');
    expect(r.stderr).toContain('Unsupported option execution.checkpointing.interval');
  });

  test('restart-strategy.type is accepted with a warning that says what happens instead', async () => {
    const r = await runCli(['run', '-D', 'restart-strategy.type=fixed-delay', PRINT_CONFIG]);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stderr)).toEqual([
      'Warning: restart-strategy.type (-D) is a Flink option tidemark does not support yet and has no effect: a failing job is not restarted, it fails (exit code 1).',
    ]);
  });

  test('in code, too: an environment configured with checkpointing is refused', () => {
    expect(() => StreamExecutionEnvironment.create({ 'execution.checkpointing.interval': 1000 })).toThrow(IllegalConfigurationException);
    expect(() => new Configuration().setString('state.backend', 'hashmap')).toThrow(/Unsupported option state\.backend:/);
    // Unknown keys are still kept as they are (a connector of the user's may read them).
    expect(new Configuration({ 'my.connector.option': 'x' }).toMap()['my.connector.option']).toBe('x');
  });
});
