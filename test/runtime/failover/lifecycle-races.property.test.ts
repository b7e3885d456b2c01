/**
 * Property: a job (inline, periodic checkpoints — two at once — or none, restarts) is driven by stopWithSavepoint, triggerSavepoint,
 * task failures, failing commits and cancel at random moments. Whatever the interleaving: every call and the job's result settle
 * (nothing hangs); status() is terminal exactly when the result settled; a stopWithSavepoint that resolved ends the
 * job FINISHED (CANCELED when a cancel came too, FAILED when restarts ran out); every savepoint reported complete
 * restores whole; the committer is closed once, after its last commit; the checkpoint folder does not change after
 * the end was reported.
 */
import fc from 'fast-check';
import { afterAll, expect, test, vi } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ExternalizedCheckpointRetention, RestartStrategies, StreamExecutionEnvironment, type CommittingSinkWriter, type TwoPhaseCommittingSink } from '../../../lib/index.ts';
import { getExecutionContext, setExecutionContext, type ExecutionContext } from '../../../lib/runtime/context.ts';
import { loadCompletedCheckpoint } from '../../../lib/runtime/checkpoint/checkpoint-storage.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { SlowSequence } from '../../fixtures/slow-sequence-source.ts';

afterAll(removeTempDirs);

function listing(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

const actionArb = fc.record({ kind: fc.constantFrom('stop', 'savepoint', 'fail', 'cancel', 'failing commit'), delay: fc.integer({ min: 0, max: 25 }) });

test('stop, savepoints, failures and cancel at random moments: nothing hangs, the end is consistent', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  const saved = getExecutionContext();
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(actionArb, { minLength: 1, maxLength: 4 }),
        fc.option(fc.integer({ min: 10, max: 40 }), { nil: undefined }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 20 }),
        fc.boolean(),
        async (actions, interval, commitDelay, startAfter, deleteOnCancel) => {
          const events: string[] = [];
          let failNextCommit = false;
          const sink: TwoPhaseCommittingSink<number, number[]> = {
            createWriter(): CommittingSinkWriter<number, number[]> {
              let open: number[] = [];
              return {
                write: (x: number) => void open.push(x),
                flush: () => {},
                prepareCommit: () => {
                  const out = open;
                  open = [];
                  return [out];
                },
                close: () => {},
              };
            },
            createCommitter: () => {
              let closed = false;
              return {
                async commit() {
                  if (closed) events.push('commit after close');
                  events.push('commit');
                  if (commitDelay > 0) await new Promise((r) => setTimeout(r, commitDelay));
                  if (closed) events.push('commit ended after close');
                  if (failNextCommit) {
                    failNextCommit = false;
                    throw new Error('a commit failed');
                  }
                },
                close() {
                  closed = true;
                  events.push('close');
                },
              };
            },
          };
          const context: ExecutionContext = { configuration: {}, jobs: [] };
          setExecutionContext(context);
          const dir = join(tempDir(), 'checkpoints');
          const env = StreamExecutionEnvironment.create({ 'execution.target': 'inline', 'execution.runtime-mode': 'STREAMING' });
          env.setParallelism(2);
          env.setRestartStrategy(RestartStrategies.fixedDelay(2, 0));
          if (interval !== undefined) {
            env.enableCheckpointing(interval);
            env.getCheckpointConfig().setCheckpointStorage(dir).setMaxConcurrentCheckpoints(2);
            if (deleteOnCancel) env.getCheckpointConfig().setExternalizedCheckpointRetention(ExternalizedCheckpointRetention.DELETE_ON_CANCELLATION);
          }
          env.fromSource(new SlowSequence(1, 1e9, 1), 'numbers').uid('numbers').sinkTo(sink).uid('sink');
          const client = await env.executeAsync('lifecycle races');
          const handle = context.jobs![0]!;
          setExecutionContext(saved);
          const result = client.getJobExecutionResult().then(
            () => 'resolved',
            () => 'rejected',
          );
          let ended = false;
          void result.then(() => (ended = true));
          await new Promise((r) => setTimeout(r, startAfter));
          const calls: Array<{ kind: string; outcome: Promise<{ ok: boolean; value: unknown }> }> = [];
          for (const a of actions) {
            await new Promise((r) => setTimeout(r, a.delay));
            const call =
              a.kind === 'stop'
                ? client.stopWithSavepoint(tempDir())
                : a.kind === 'savepoint'
                  ? client.triggerSavepoint(tempDir())
                  : a.kind === 'cancel'
                    ? client.cancel()
                    : a.kind === 'failing commit'
                      ? Promise.resolve(void (failNextCommit = true))
                      : Promise.resolve(handle.fail(new Error('a task failed')));
            calls.push({ kind: a.kind, outcome: call.then((value) => ({ ok: true, value }), (value: unknown) => ({ ok: false, value })) });
            if (!ended) expect(client.getJobStatus()).toBe('RUNNING');
          }
          const stalled = new Promise<'stalled'>((r) => setTimeout(() => r('stalled'), 10_000));
          const settled = await Promise.race([Promise.all(calls.map((c) => c.outcome)), stalled]);
          if (settled === 'stalled') await client.cancel();
          expect(settled).not.toBe('stalled');
          // An endless job that nothing ended yet is canceled now.
          const endedOnItsOwn = await Promise.race([result.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 300))]);
          if (!endedOnItsOwn) await client.cancel();
          const end = await Promise.race([result, stalled]);
          if (end === 'stalled') await client.cancel();
          expect(end).not.toBe('stalled');
          const atEnd = listing(dir);
          const status = client.getJobStatus();
          expect(status).not.toBe('RUNNING');
          const outcomes = settled as Array<{ ok: boolean; value: unknown }>;
          const stopped = calls.some((c, i) => c.kind === 'stop' && outcomes[i]!.ok);
          const canceled = actions.some((a) => a.kind === 'cancel') || !endedOnItsOwn;
          if (stopped && !canceled) expect(['FINISHED', 'FAILED']).toContain(status);
          if (!canceled && !stopped) expect(status).toBe('FAILED'); // an endless job ends only so
          if (status === 'CANCELED' && deleteOnCancel) expect(atEnd).toEqual([]);
          // Every savepoint reported complete restores whole.
          for (const [i, c] of calls.entries()) {
            if ((c.kind === 'stop' || c.kind === 'savepoint') && outcomes[i]!.ok) {
              const lines: string[] = [];
              await loadCompletedCheckpoint(outcomes[i]!.value as string, (l) => lines.push(l));
              expect(lines).toEqual([]);
            }
          }
          // The committer: closed once (when one was made), after its last commit.
          expect(events.filter((e) => e.includes('after close'))).toEqual([]);
          if (events.includes('commit')) expect(events.at(-1)).toBe('close');
          expect(events.filter((e) => e === 'close').length).toBeLessThanOrEqual(1);
          await new Promise((r) => setTimeout(r, 50));
          expect(listing(dir)).toEqual(atEnd);
        },
      ),
      { numRuns: 25 },
    );
  } finally {
    setExecutionContext(saved);
    warn.mockRestore();
  }
}, 300_000);
