/**
 * The hard case of issue 13: the process dies (SIGKILL) after a checkpoint completed but before its
 * transactions were committed, while the writers had already written more into the next transactions. A new
 * process restores the checkpoint (`tidemark run -s`): its transactions are committed (resumed by producer id
 * and epoch), the dead process's lingering transactions are aborted (the last stable offset reaches the high
 * watermark again: read_committed readers are not held back until the transaction timeout), and the topic
 * holds the reference output exactly once.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { DeliveryGuarantee, type KafkaAdmin, type KafkaClient } from '../../../connectors/kafka/index.ts';
import type { Ev } from '../../fixtures/exactly-once-pipeline.ts';
import type { KafkaJobSpec } from '../../fixtures/kafka-sink-pipeline.ts';
import { FIXTURES, removeTempDirs, runCli, tempDir } from '../../helpers.ts';
import { compareMultisets, referenceOutput } from '../../runtime/failover/exactly-once-model.ts';
import { committedOutput } from './committed-output.ts';
import { ADAPTERS, broker, describeKafka, uniqueName, useClientAndAdmin } from './kafka-env.ts';

afterAll(removeTempDirs);

/** 240 events, 12 keys (every subtask gets some), out of order by up to 60 (> the watermark's lag of 50: some are late). */
const EVENTS: Ev[] = Array.from({ length: 240 }, (_, id) => ({ id, key: `k${id % 12}`, ts: 1000 + 7 * id - (id % 5) * 15, kind: 'A' }));
const expected = referenceOutput(EVENTS).filter((l) => l.startsWith('T ') || l.startsWith('LT '));

for (const adapter of ADAPTERS.slice(0, 1)) {
  describeKafka(`KafkaSink: a crash between checkpoint completion and commit (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => {
      client = c;
      admin = a;
    });

    it('the restore commits the checkpoint, aborts the lingering transactions, and the output is exactly once', async () => {
      const dir = tempDir();
      const topic = uniqueName('crash-out');
      await admin.createTopics([{ topic, numPartitions: 3 }]);
      const spec = (name: string, failures: KafkaJobSpec['failures']): string => {
        const control = join(dir, `control-${name}`);
        mkdirSync(control);
        const s: KafkaJobSpec = {
          bootstrapServers: broker(),
          topic,
          transactionalIdPrefix: `${topic}-tx`,
          guarantee: DeliveryGuarantee.EXACTLY_ONCE,
          events: EVENTS,
          failures,
          control,
          perPoll: 4,
          pauseMs: 15,
        };
        const file = join(dir, `${name}.json`);
        writeFileSync(file, JSON.stringify(s));
        return file;
      };
      const checkpoints = join(dir, 'checkpoints');
      const common = ['-D', 'execution.checkpointing.interval=100', '-D', `state.checkpoints.dir=${checkpoints}`];

      // 1. Killed at the first commit, 300 ms after checkpoint 1 completed (the writers kept writing).
      const crashed = await runCli(['run', '-p', '3', ...common, join(FIXTURES, 'kafka-sink-job.ts'), '--spec', spec('crash', [{ kind: 'crash', n: 1, delayMs: 300 }])]);
      expect(crashed.code, crashed.stderr).not.toBe(0);
      const before = await committedOutput(client, topic);
      expect(before.values, 'nothing was committed before the crash').toEqual([]);
      // Open transactions (checkpoint 1's, pre-committed, and the next ones) hold the last stable offset back.
      expect(before.lastStable.some((lso, p) => lso < before.highWatermark[p]!), JSON.stringify(before)).toBe(true);

      // 2. A new process restores the newest checkpoint under the folder and runs to the end, with one subtask
      // fewer: subtask 2's lingering transactions are found only by probing the old subtask indices (0 + 2).
      const resumed = await runCli(['run', '-p', '2', ...common, '-s', checkpoints, join(FIXTURES, 'kafka-sink-job.ts'), '--spec', spec('resume', [])]);
      expect(resumed.code, resumed.stderr).toBe(0);
      const after = await committedOutput(client, topic, 5_000);
      // No transaction left open: lingering ones were aborted, the restored checkpoint's committed.
      expect(after.lastStable).toEqual(after.highWatermark);
      const { lost, duplicated } = compareMultisets(expected, after.values);
      expect({ lost: lost.length, duplicated: duplicated.length, firstLost: lost.slice(0, 5), firstDuplicated: duplicated.slice(0, 5) }).toEqual({
        lost: 0,
        duplicated: 0,
        firstLost: [],
        firstDuplicated: [],
      });
      // Two CLI runs, each cut off by runCli after 90 s: a run that hangs fails its own assertion with its stderr
      // (once, in a CI run beside the other Kafka tests, this test ran past the 60 s default — cause unknown; 3 s when alone).
    }, 200_000);
  });
}
