/**
 * The CLI tells a user's mistake (input, configuration, environment: the message says it all) from
 * a bug in code by the error's class: a TidemarkError prints its message alone unless it points at
 * code (a user function, a Pattern built wrong), where the stack shows where. The output for each
 * error class is what it was when the CLI went by a list of names, also for an error rebuilt from
 * a worker thread.
 */
import { describe, expect, test } from 'vitest';
import { formatError } from '../../lib/cli/main.ts';
import * as tidemark from '../../lib/index.ts';
import * as cep from '../../lib/api/cep/index.ts';
import * as file from '../../connectors/file/index.ts';
import * as socket from '../../connectors/socket/index.ts';
import { InvalidJobGraphError } from '../../lib/runtime/graph/job-graph.ts';
import { deserializeError, serializeError } from '../../lib/runtime/worker-protocol.ts';
import type { TidemarkError } from '../../lib/core/errors.ts';

/** The names the CLI printed without a stack before it went by class (the ones raised in a job or by the module). */
const PLAIN_BEFORE = new Set([
  'IllegalConfigurationException', 'NoResourceAvailableException', 'InvalidJobGraphError', 'FileSourceError', 'SocketSourceError',
  'ParameterToolException', 'PatternSpecError', 'FileSinkError', 'LineTooLongError', 'JobCancellationException',
]);

const ERRORS: TidemarkError[] = [
  new tidemark.JobCancellationException('id', 'job'),
  new tidemark.NoResourceAvailableException(4, 2),
  new tidemark.InvalidFunctionResultError('reduce()', 'k', undefined),
  new tidemark.AsyncFunctionResultError('map()'),
  new tidemark.KeyExtractionError('Could not extract key from 1: no key'),
  new tidemark.AsyncTimeoutError('Async function call has timed out.'),
  new tidemark.IllegalArgumentException('union(): all streams must come from the same StreamExecutionEnvironment'),
  new tidemark.IllegalStateException('The runtime context has not been initialized'),
  new tidemark.IllegalConfigurationException('parallelism.default must be a positive integer, got -1'),
  new tidemark.ParameterToolException("No data for required key 'input'", 'input'),
  new InvalidJobGraphError('the graph has a cycle'),
  new cep.MalformedPatternException('Stage names must be unique: start'),
  new cep.PatternSpecError('stages[0]', 'not a JSON rule'),
  new cep.ExpressionError('unknown function f', 'f(x)', 0, 'parse'),
  new file.FileSourceError('Cannot read input file /nope: no such file or directory'),
  new file.FileSinkError('Cannot write /out: no space left on device (ENOSPC)', '/out', 'ENOSPC'),
  new file.LineTooLongError('/in', 0, 1, 10, 'Line', 'Raise lineLengthLimit.'),
  new socket.SocketSourceError('Could not connect to socket 127.0.0.1:1: connection refused (ECONNREFUSED)', { retriable: true }),
];

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const overTheWire = (e: unknown): unknown => deserializeError(structuredClone(serializeError(e)));

/** As a job failure reaches the CLI: the job's exception around the operator's around the error. */
const inJob = (e: unknown): tidemark.JobExecutionException => new tidemark.JobExecutionException('id', 'job', new tidemark.UserCodeError('Op', 0, 1, e));

describe('the CLI recognises user errors by class', () => {
  test.each(ERRORS.map((e) => [e.name, e] as const))('%s: printed as before, in this thread and from a worker', (name, e) => {
    const first = `Job 'job' (id) failed: Operator 'Op' (subtask 1/1) failed: ${name}: ${e.message}`;
    for (const [where, failure] of [['here', inJob(e)], ['worker', overTheWire(inJob(e))]] as const) {
      const out = formatError(failure);
      // A plain one is the one line; one that points at code adds its stack (our frames cut off).
      if (PLAIN_BEFORE.has(name)) expect(out, where).toBe(first);
      else expect(out, where).toMatch(new RegExp(`^${escape(first)}\nCaused by: ${name}: `));
    }
    // Thrown by the job module itself (not in a job): the plain ones are one line.
    const alone = formatError(e);
    if (PLAIN_BEFORE.has(name)) expect(alone).toBe(`${name}: ${e.message}`);
    else expect(alone).toMatch(/^\s+at /m);
  });

  test("an error that is not ours keeps its stack, also when the user's class has a plain-sounding name", () => {
    class FileSourceError extends Error {
      override name = 'FileSourceError';
    }
    expect(formatError(inJob(new FileSourceError('mine')))).toContain('Caused by: FileSourceError: mine');
    expect(formatError(new FileSourceError('mine'))).toMatch(/^\s+at /m);
  });
});
