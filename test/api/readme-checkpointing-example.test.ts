/**
 * The first example of the README's "Checkpoints and recovery", as a real test: the block between the
 * markers below is the README's code block, verbatim (the last test checks it), and the settings it
 * makes are the ones the job is submitted with.
 */
import { afterEach, expect, test, vi } from 'vitest';
import { setContextExecutor } from '../../lib/runtime/context.ts';
import { installRecordingExecutor } from './recording-executor.ts';

afterEach(() => {
  setContextExecutor(undefined);
  vi.restoreAllMocks();
});

test('the example turns checkpointing on with a 1 s min pause and a 3-attempt fixed delay', async () => {
  const recorder = installRecordingExecutor();
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  const { StreamExecutionEnvironment, CheckpointingMode, RestartStrategies } = await import('../../lib/index.ts');
  // ---- README block ----
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.enableCheckpointing('10 s', CheckpointingMode.EXACTLY_ONCE);
env.getCheckpointConfig().setMinPauseBetweenCheckpoints('1 s');
env.setRestartStrategy(RestartStrategies.fixedDelay(3, '5 s'));
  // ---- end of README block ----
  env.fromElements(1).uid('one').print();
  await env.executeAsync('readme');
  const p = recorder.calls[0]!.parameters;
  expect(p.checkpointing).toMatchObject({ interval: 10_000, mode: 'EXACTLY_ONCE', minPauseBetweenCheckpoints: 1000 });
  expect(p.restartStrategy).toEqual({ type: 'fixed-delay', attempts: 3, delay: 5000 });
});

// ---- not in the README: the README's code block is the block above, verbatim ----
import { readFileSync } from 'node:fs';

test("the README's first 'Checkpoints and recovery' example is this file's code", () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Checkpoints and recovery'));
  const block = /```ts\n([\s\S]*?)```/.exec(section.slice(0, section.indexOf('\n## ', 1)))?.[1];
  expect(block, "README has a ```ts block under '## Checkpoints and recovery'").toBeDefined();
  const body = block!.split('\n').filter((l) => !l.startsWith('import ') && l.trim() !== '').join('\n');
  expect(readFileSync(new URL(import.meta.url), 'utf8')).toContain(body);
  expect(block).toContain("import { StreamExecutionEnvironment, CheckpointingMode, RestartStrategies } from 'tidemark';");
});
