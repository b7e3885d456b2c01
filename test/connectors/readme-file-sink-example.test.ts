/**
 * The FileSink example of the README's "Sinks and their guarantees", as a real test: the code from the
 * import to the end of alertsSink is the README's code block, verbatim (the last test checks it). The
 * sink runs in its sink writer operator (tidemark/testing's harness playing the task) and the test
 * commits what the operator hands over at a checkpoint, as the JobMaster does.
 */
import { afterAll, expect, test } from 'vitest';
import { DefaultRollingPolicy, FileSink, OutputFileConfig, SimpleStringEncoder } from 'tidemark/connectors/file';

/** Alerts as lines of part files under basePath, in one folder per hour (the default bucket assigner). */
function alertsSink(basePath: string): FileSink<string> {
  return FileSink.forRowFormat(basePath, new SimpleStringEncoder<string>())
    .withRollingPolicy(
      DefaultRollingPolicy.builder()
        .withRolloverInterval('15 min') // a part file is closed after 15 minutes,
        .withInactivityInterval('5 min') // after 5 minutes without a record,
        .withMaxPartSize(128 * 1024 * 1024) // at 128 MiB, and at every checkpoint
        .build(),
    )
    .withOutputFileConfig(OutputFileConfig.builder().withPartPrefix('alerts').withPartSuffix('.txt').build())
    .build();
}

// ---- not in the README ----
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { StreamExecutionEnvironment } from 'tidemark';
import { OneInputStreamOperatorTestHarness } from 'tidemark/testing';
import { SinkWriterOperator } from '../../lib/operators/sink-writer.ts';
import { removeTempDirs, tempDir } from '../helpers.ts';
import { committedLines } from './committed-files.ts';

afterAll(removeTempDirs);

test('alertsSink: part files alerts-<uid>-<subtask>-<counter>.txt in an hourly folder, published by the commit', async () => {
  const dir = join(tempDir(), 'alerts');
  // The README's use compiles: FileSink is a Sink of the stream's type.
  StreamExecutionEnvironment.getExecutionEnvironment().fromElements('x').sinkTo(alertsSink(dir), 'alerts');

  const now = Date.UTC(2024, 4, 1, 13, 30);
  const sink = alertsSink(dir);
  const h = new OneInputStreamOperatorTestHarness<string, never, SinkWriterOperator<string>>(new SinkWriterOperator(sink), { subtaskIndex: 1, parallelism: 2, initialProcessingTime: now });
  h.processElement('s1 overheated');
  h.processElement('s2 overheated');
  h.snapshot(1);
  expect(committedLines(dir)).toEqual([]);
  const pending = await h.getOperator().pendingCommittables(1);
  sink.createCommitter().commit(pending.flatMap((p) => p.committables) as never);
  h.getOperator().notifyCheckpointComplete(1);
  await h.close();

  const hour = DateTime.fromMillis(now).toFormat('yyyy-MM-dd--HH'); // the system's zone, as the default assigner
  expect(readdirSync(dir)).toEqual([hour]);
  const files = readdirSync(join(dir, hour)).filter((f) => !f.startsWith('.'));
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(/^alerts-[0-9a-f-]{36}-1-0\.txt$/);
  expect(readFileSync(join(dir, hour, files[0]!), 'utf8')).toBe('s1 overheated\ns2 overheated\n');
});

test("the README's FileSink example is this file's code", () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Sinks and their guarantees'));
  const block = /```ts\n([\s\S]*?)```/.exec(section.slice(0, section.indexOf('\n## ', 1)))?.[1];
  expect(block, "README has a ```ts block under '## Sinks and their guarantees'").toBeDefined();
  expect(readFileSync(new URL(import.meta.url), 'utf8')).toContain(block);
});
