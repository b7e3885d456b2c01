/** Messages between the local JobMaster and its worker threads. */
import type { MessagePort } from 'node:worker_threads';

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
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  operatorName?: string;
  subtaskIndex?: number;
  parallelism?: number;
  cause?: SerializedError;
  /** A thrown value that is not an Error: `message` is its text, `value` the value itself when it can be cloned. */
  nonError?: boolean;
  value?: unknown;
}

export type WorkerMessage =
  | { type: 'collect'; sinkId: string; values: unknown[] }
  | { type: 'accumulators'; accumulators: Array<{ name: string; kind: string; value: unknown }> }
  | { type: 'ready' }
  | { type: 'finished' }
  | { type: 'canceled'; waiting: string[]; notStopped: string[] }
  | { type: 'failed'; error: SerializedError };

export type MasterMessage = { type: 'cancel' } | { type: 'start' };
