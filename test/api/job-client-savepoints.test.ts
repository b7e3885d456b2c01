/**
 * JobClient.triggerSavepoint / stopWithSavepoint delegate to the runtime's job handle, into the folder
 * given or else state.savepoints.dir; with neither, a clear error (Flink's message) and nothing is asked.
 */
import { afterEach, expect, test } from 'vitest';
import { IllegalStateException, StreamExecutionEnvironment, type Sink } from '../../lib/index.ts';
import { setContextExecutor } from '../../lib/runtime/context.ts';
import { installRecordingExecutor } from './recording-executor.ts';

afterEach(() => setContextExecutor(undefined));

const discard: Sink<number> = { createWriter: () => ({ write() {}, flush() {}, close() {} }) };

test('the folder given, else state.savepoints.dir, reaches the job handle; the path comes back', async () => {
  const recorder = installRecordingExecutor();
  const env = StreamExecutionEnvironment.create({ 'state.savepoints.dir': '/tmp/savepoints' });
  env.fromElements(1).uid('src').sinkTo(discard);
  const client = await env.executeAsync('job');
  expect(await client.triggerSavepoint('/tmp/mine')).toBe('/tmp/mine/savepoint-1');
  expect(await client.triggerSavepoint()).toBe('/tmp/savepoints/savepoint-1');
  expect(await client.stopWithSavepoint()).toBe('/tmp/savepoints/savepoint-2');
  expect(recorder.savepoints).toEqual([
    { kind: 'trigger', directory: '/tmp/mine' },
    { kind: 'trigger', directory: '/tmp/savepoints' },
    { kind: 'stop', directory: '/tmp/savepoints' },
  ]);
});

test('without a folder and without state.savepoints.dir: rejected, naming the key', async () => {
  const recorder = installRecordingExecutor();
  const env = StreamExecutionEnvironment.create();
  env.fromElements(1).uid('src').sinkTo(discard);
  const client = await env.executeAsync('job');
  await expect(client.triggerSavepoint()).rejects.toThrow(IllegalStateException);
  await expect(client.stopWithSavepoint()).rejects.toThrow(/No savepoint directory configured.*'state\.savepoints\.dir'/);
  expect(recorder.savepoints).toEqual([]);
});
