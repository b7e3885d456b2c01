/**
 * A task's state write (the asynchronous part of its checkpoint) does not outlive its attempt: when the attempt
 * stopped (canceled, failed), the writes under way end before the attempt reports its end, and no write starts
 * after — a snapshot still being prepared then (a sink flushing its committables) is dropped. Before, such a write
 * ran on after the end: into a checkpoint folder the coordinator was removing (DELETE_ON_CANCELLATION's removal of
 * the job folder, or an aborted checkpoint's, failed with ENOTEMPTY when a state file appeared meanwhile; a job's
 * end was reported with its folder still changing).
 */
import { afterAll, expect, test } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { WritingCheckpointResponder, type SerializedSubtaskState, type SubtaskAck } from '../../../lib/runtime/checkpoint/checkpoint-responder.ts';
import { serializeSubtaskState } from '../../../lib/runtime/checkpoint/state-serializer.ts';
import type { CheckpointBarrier } from '../../../lib/runtime/elements.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';

afterAll(removeTempDirs);

function setup(): { location: string; barrier: CheckpointBarrier; responder: WritingCheckpointResponder; acks: SubtaskAck[]; declines: unknown[] } {
  const location = join(tempDir(), 'chk-3');
  mkdirSync(location);
  const barrier: CheckpointBarrier = { at: 0, kind: 'barrier', checkpointId: 3, timestamp: 0, location, savepoint: false, stop: false };
  const acks: SubtaskAck[] = [];
  const declines: unknown[] = [];
  const responder = new WritingCheckpointResponder({ acknowledge: (a) => acks.push(a), decline: (_c, _v, _s, e) => declines.push(e), finished: () => {} });
  return { location, barrier, responder, acks, declines };
}

const state = (): SerializedSubtaskState => ({
  bytes: serializeSubtaskState({ vertexId: 0, subtaskIndex: 0, finished: false, operators: [], committables: [] }),
  committables: [],
  syncDurationMs: 0,
});

test('close() resolves once the state writes under way ended', async () => {
  const { location, barrier, responder, acks } = setup();
  responder.acknowledge(barrier, 0, 0, state());
  await Promise.resolve(); // the write has started
  await responder.close();
  expect(existsSync(join(location, 'v0-s0.state'))).toBe(true);
  expect(acks.map((a) => a.checkpointId)).toEqual([3]);
});

test('after close(), a snapshot that becomes ready is not written (nor acknowledged)', async () => {
  const { location, barrier, responder, acks, declines } = setup();
  let ready!: (s: SerializedSubtaskState) => void;
  responder.acknowledge(barrier, 0, 0, new Promise<SerializedSubtaskState>((r) => (ready = r)));
  await responder.close();
  ready(state());
  await new Promise((r) => setTimeout(r, 50));
  expect(existsSync(join(location, 'v0-s0.state'))).toBe(false);
  expect(acks).toEqual([]);
  expect(declines).toEqual([]);
});
