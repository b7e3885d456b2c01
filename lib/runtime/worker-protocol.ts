/** Messages between the local JobMaster and its worker threads. */
import type { MessagePort } from 'node:worker_threads';
import { describeValue, errorClassOf, isInstance } from '../core/errors.ts';
import type { CheckpointingMode } from './checkpoint/checkpoint-types.ts';
import type { RestoredOperatorState } from '../state/stream-task-state-initializer.ts';
import type { SubtaskAck, SubtaskFinished } from './checkpoint/checkpoint-responder.ts';
import type { CheckpointBarrier } from './elements.ts';

export interface WorkerInit {
  slot: number;
  jobId: string;
  jobModule: string;
  jobArgs: string[];
  jobIndex: number;
  configuration: Record<string, unknown>;
  fingerprint: string;
  /** Collect-sink results of the module's earlier jobs, replayed when the worker skips them. */
  collected: Array<Record<string, unknown[][]>>;
  /** Cross-slot channel ends, keyed `${edgeId}:${producer}:${consumer}`. */
  ports: Record<string, MessagePort>;
  /** The shared ring of each cross-slot channel (same keys) when batches go by the binary exchange; its port is then the doorbell. */
  rings: Record<string, SharedArrayBuffer>;
  /** 0 for the job's first run, +1 for each restart. */
  attemptNumber: number;
  checkpointingMode: CheckpointingMode | undefined;
  /** The restored state of the job's operators (all old subtasks' parts), when the attempt starts from a checkpoint. */
  restored: Record<string, RestoredOperatorState> | undefined;
  /** File URL of the worker bundle (execution/worker-bundle.ts) to import; unset: the job module is imported with tsx. */
  bundle?: string;
}

/**
 * An error as it crosses from a worker thread: structured clone would keep only Error's own class
 * and message, so name, stack, cause chain and the error's own fields (a TidemarkError's `context`
 * and `retriable`, a FileSinkError's `path`, ...) travel explicitly.
 */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  cause?: SerializedError;
  /** Whether the error had a `cause` (it may be `undefined`: user code threw `undefined`). */
  hasCause?: boolean;
  /** The error's own enumerable fields that survive structured clone. */
  fields?: Record<string, unknown>;
  /** A thrown value that is not an Error: `message` is its text, `value` the value itself when it can be cloned. */
  nonError?: boolean;
  value?: unknown;
}

/** Own fields carried separately (or not at all). */
const SKIPPED_FIELDS = new Set(['name', 'message', 'stack', 'cause']);

export function serializeError(e: unknown): SerializedError {
  if (isInstance(e, Error)) {
    const u = e as Error & { cause?: unknown };
    const hasCause = 'cause' in u;
    const out: SerializedError = { name: u.name, message: u.message, stack: u.stack };
    if (hasCause) {
      out.hasCause = true;
      out.cause = serializeError(u.cause);
    }
    let fields: Record<string, unknown> | undefined;
    for (const k of Object.keys(u)) {
      if (SKIPPED_FIELDS.has(k)) continue;
      try {
        (fields ??= {})[k] = structuredClone((u as unknown as Record<string, unknown>)[k]);
      } catch {
        // Not cloneable (a function, a class instance holding one): its text stands in for it.
        (fields ??= {})[k] = describeValue((u as unknown as Record<string, unknown>)[k]);
      }
    }
    if (fields !== undefined) out.fields = fields;
    return out;
  }
  // A thrown string or object: its readable text, and the value when it survives structured clone.
  const out: SerializedError = { name: 'Error', message: describeValue(e), nonError: true };
  try {
    out.value = structuredClone(e);
  } catch {
    // Not cloneable (a function, a class instance holding one): the text stands in for it.
  }
  return out;
}

/**
 * An error from a worker, rebuilt with its class when that is registered (every error class of
 * ours, JavaScript's built-in ones): `instanceof` works on this side, and message, stack, fields
 * (`context`, `retriable`, ...) and causes are as the worker had them. The constructor is not run
 * again: it may need arguments the error no longer has, and would compute the message anew.
 */
export function deserializeError(e: SerializedError): Error {
  if (e.nonError === true) return new Error(e.message); // a non-Error thrown outside any operator
  const cls = errorClassOf(e.name);
  const err = Object.create((cls ?? Error).prototype as object) as Error & Record<string, unknown>;
  const define = (key: string, value: unknown): void => {
    Object.defineProperty(err, key, { value, writable: true, enumerable: false, configurable: true });
  };
  define('message', e.message);
  define('stack', e.stack ?? `${e.name}: ${e.message}`);
  if (e.hasCause === true) define('cause', e.cause ? deserializeThrown(e.cause) : undefined);
  // Our classes set `name` as an own field; a built-in class has it on its prototype.
  if (e.name !== ((cls ?? Error).prototype as Error).name) err.name = e.name;
  if (e.fields) for (const [k, v] of Object.entries(e.fields)) err[k] = v;
  return err;
}

/** A cause as it was thrown: a non-Error value stays a value (its text when it could not be cloned). */
function deserializeThrown(e: SerializedError): unknown {
  if (e.nonError === true) return 'value' in e ? e.value : e.message;
  return deserializeError(e);
}

export type WorkerMessage =
  | { type: 'collect'; sinkId: string; values: unknown[] }
  | { type: 'accumulators'; accumulators: Array<{ name: string; kind: string; value: unknown }> }
  | { type: 'ready' }
  | { type: 'finished' }
  | { type: 'canceled'; waiting: string[]; notStopped: string[] }
  | { type: 'failed'; error: SerializedError }
  | { type: 'checkpoint-ack'; ack: SubtaskAck }
  | { type: 'checkpoint-decline'; checkpointId: number; vertexId: number; subtaskIndex: number; reason: SerializedError }
  | { type: 'task-finished'; report: SubtaskFinished };

export type MasterMessage =
  | { type: 'cancel' }
  | { type: 'start' }
  | { type: 'trigger-checkpoint'; vertexId: number; subtaskIndex: number; barrier: CheckpointBarrier }
  | { type: 'checkpoint-complete'; checkpointId: number }
  | { type: 'checkpoint-aborted'; checkpointId: number };
