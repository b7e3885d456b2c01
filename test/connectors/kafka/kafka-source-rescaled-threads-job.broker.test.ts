/**
 * A KafkaSource → KafkaSink (EXACTLY_ONCE) job on the threads target through the CLI is killed (SIGKILL) and
 * restored with `tidemark run -s` at another parallelism (2→3→1), partitions being created while each run reads
 * and while no job runs: a read_committed reader of the output sees every input record exactly once (each
 * worker's source subtask gets the splits it owns out of all old subtasks', in the worker threads too).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { KafkaAdmin, KafkaClient } from '../../../connectors/kafka/index.ts';
import { BIN, REPO_ROOT, removeTempDirs, tempDir } from '../../helpers.ts';
import { compareMultisets } from '../../runtime/failover/exactly-once-model.ts';
import { committedOutput } from './committed-output.ts';
import { ADAPTERS, broker, describeKafka, uniqueName, useClientAndAdmin } from './kafka-env.ts';

afterAll(removeTempDirs);

const adapter = ADAPTERS[0]!;
describeKafka('KafkaSource restored at another parallelism on the threads target', () => {
  let client: KafkaClient;
  let admin: KafkaAdmin;
  useClientAndAdmin(adapter, (c, a) => ((client = c), (admin = a)));

  it('killed and restored with -s at 2→3→1 while partitions are created: every record exactly once', async () => {
    const input = uniqueName('rescale-in');
    const output = uniqueName('rescale-out');
    await admin.createTopics([{ topic: input, numPartitions: 2 }, { topic: output, numPartitions: 1 }]);
    const producer = await client.producer();
    const written: string[] = [];
    let partitions = 2;
    const write = async (tag: string): Promise<void> => {
      const records = [];
      for (let p = 0; p < partitions; p++) for (let i = 0; i < 5; i++) records.push({ topic: input, partition: p, value: `${tag}/p${p}/${i}` });
      await producer.send(records);
      written.push(...records.map((r) => r.value));
    };
    const grow = async (to: number): Promise<void> => {
      await admin.createPartitions(input, to);
      partitions = to;
    };
    const dir = tempDir();
    const checkpoints = join(dir, 'checkpoints');
    const waitForOutput = async (job: ChildProcess, stderr: () => string): Promise<void> => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (job.exitCode !== null) throw new Error(`the job exited ${job.exitCode}: ${stderr()}`);
        const out = await committedOutput(client, output);
        if (out.values.length >= written.length) return;
        if (Date.now() > deadline) throw new Error(`only ${out.values.length} of ${written.length} records came out: ${stderr()}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    try {
      await write('a');
      for (const [run, p] of [[0, 2], [1, 3], [2, 1]] as const) {
        const args = [BIN, 'run', '-t', 'threads', '-p', String(p), '-D', `taskmanager.numberOfTaskSlots=${p}`, '-D', 'execution.checkpointing.interval=100', '-D', `state.checkpoints.dir=${checkpoints}`];
        if (run > 0) args.push('-s', checkpoints);
        args.push(join('test', 'fixtures', 'kafka-copy-job.ts'), '--bootstrap', broker(), '--input', input, '--output', output, '--discovery', '200');
        const job = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let err = '';
        job.stderr!.on('data', (d) => (err += String(d)));
        job.stdout!.resume();
        try {
          await waitForOutput(job, () => err);
          // Created while the job runs: found by discovery.
          await grow(partitions + 1);
          await write(`r${run}`);
          await waitForOutput(job, () => err);
          // Checkpoints after the last records, so the restore goes on from there.
          await new Promise((resolve) => setTimeout(resolve, 800));
        } finally {
          job.kill('SIGKILL');
          await new Promise((resolve) => (job.exitCode !== null || job.signalCode !== null ? resolve(undefined) : job.once('exit', resolve)));
        }
        // Created and written while no job runs: not in the checkpoint, found by its owner after the restore.
        await grow(partitions + 1);
        await write(`down${run}`);
      }
      // The last run's leftovers: one more run at 2 to read them.
      const job = spawn(process.execPath, [BIN, 'run', '-t', 'threads', '-p', '2', '-D', 'taskmanager.numberOfTaskSlots=2', '-D', 'execution.checkpointing.interval=100', '-D', `state.checkpoints.dir=${checkpoints}`, '-s', checkpoints, join('test', 'fixtures', 'kafka-copy-job.ts'), '--bootstrap', broker(), '--input', input, '--output', output], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      job.stderr!.on('data', (d) => (err += String(d)));
      job.stdout!.resume();
      try {
        await waitForOutput(job, () => err);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      } finally {
        job.kill('SIGKILL');
      }
      const out = await committedOutput(client, output, 1_000);
      const diff = compareMultisets(written, out.values);
      expect(diff.lost, 'lost').toEqual([]);
      expect(diff.duplicated, 'duplicated').toEqual([]);
    } finally {
      await producer.close();
    }
  }, 200_000);
});
