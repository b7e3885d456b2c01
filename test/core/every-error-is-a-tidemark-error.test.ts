/**
 * One error base class: every error class tidemark exports (from 'tidemark', 'tidemark/cep' and the
 * connectors) is a TidemarkError, is registered under its error's name (so it keeps its class across
 * worker threads), and is not retriable unless it says so. No `extends Error` is left in the sources
 * except TidemarkError itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import * as tidemark from '../../lib/index.ts';
import * as cep from '../../lib/api/cep/index.ts';
import * as file from '../../connectors/file/index.ts';
import * as socket from '../../connectors/socket/index.ts';
import { errorClassOf, TidemarkError } from '../../lib/core/errors.ts';
import { InvalidJobGraphError } from '../../lib/runtime/graph/job-graph.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

type AnyClass = abstract new (...args: never[]) => unknown;

/** The exported values of a module that are Error classes. */
function errorClasses(mod: Record<string, unknown>): Array<[string, AnyClass]> {
  return Object.entries(mod).filter(
    (e): e is [string, AnyClass] => typeof e[1] === 'function' && (e[1] as { prototype?: unknown }).prototype instanceof Error,
  );
}

const EXPORTED = [
  ...errorClasses(tidemark as Record<string, unknown>),
  ...errorClasses(cep as Record<string, unknown>),
  ...errorClasses(file as Record<string, unknown>),
  ...errorClasses(socket as Record<string, unknown>),
];

/** One instance of every error class of ours, as the code raises it. */
const INSTANCES: TidemarkError[] = [
  new tidemark.UserCodeError('Map', 0, 2, new Error('boom')),
  new tidemark.JobExecutionException('id', 'job', new Error('boom')),
  new tidemark.JobCancellationException('id', 'job'),
  new tidemark.NoResourceAvailableException(4, 2),
  new tidemark.InvalidFunctionResultError('reduce()', 'k', undefined),
  new tidemark.AsyncFunctionResultError('map()'),
  new tidemark.KeyExtractionError('no key'),
  new tidemark.AsyncTimeoutError('Async function call has timed out.'),
  new tidemark.IllegalArgumentException('union(): all streams must come from the same StreamExecutionEnvironment'),
  new tidemark.IllegalStateException('The runtime context has not been initialized'),
  new tidemark.IllegalConfigurationException('bad'),
  new tidemark.CheckpointException('Checkpoint 3 expired', 'CHECKPOINT_EXPIRED'),
  new tidemark.CheckpointRestoreException('No complete checkpoint under /tmp/x', '/tmp/x'),
  new tidemark.ParameterToolException('No data for required key', 'input'),
  new InvalidJobGraphError('cycle'),
  new cep.MalformedPatternException('bad pattern'),
  new cep.PatternSpecError('stages[0]', 'bad'),
  new cep.ExpressionError('bad', 'a +', 2, 'parse'),
  new file.FileSourceError('Cannot read input'),
  new file.FileSinkError('Cannot write', '/tmp/x', 'ENOSPC'),
  new file.LineTooLongError('/tmp/x', 0, 1, 10, 'Line', 'Raise the limit.'),
  new socket.SocketSourceError('refused', { retriable: true }),
  new socket.SocketSinkError('closed', { retriable: true }),
];

describe('every error of tidemark is a TidemarkError', () => {
  test('the exports include the error classes a user would catch', () => {
    const names = EXPORTED.map(([n]) => n);
    for (const n of ['TidemarkError', 'UserCodeError', 'JobExecutionException', 'JobCancellationException', 'KeyExtractionError', 'InvalidFunctionResultError', 'MalformedPatternException', 'PatternSpecError', 'FileSinkError', 'SocketSourceError']) {
      expect(names).toContain(n);
    }
  });

  test.each(EXPORTED)('exported %s extends TidemarkError', (_name, cls) => {
    expect(cls === TidemarkError || cls.prototype instanceof TidemarkError).toBe(true);
  });

  test('every exported error class has an instance in this table', () => {
    const covered = new Set(INSTANCES.map((e) => e.constructor));
    for (const [name, cls] of EXPORTED) if (cls !== TidemarkError) expect(covered.has(cls), name).toBe(true);
  });

  test.each(INSTANCES.map((e) => [e.name, e] as const))('%s is registered under its name, with a context', (name, e) => {
    expect(e).toBeInstanceOf(TidemarkError);
    expect(e).toBeInstanceOf(Error);
    expect(errorClassOf(name)).toBe(e.constructor);
    expect(typeof e.retriable).toBe('boolean');
    expect(typeof e.context).toBe('object');
  });

  test('only what may succeed when tried again is retriable', () => {
    const retriable = INSTANCES.filter((e) => e.retriable).map((e) => e.name);
    expect(retriable.sort()).toEqual(['CheckpointException', 'SocketSinkError', 'SocketSourceError', 'TimeoutException']);
    // A wrapper is retriable exactly when what it wraps is.
    const lost = new socket.SocketSourceError('lost', { retriable: true });
    expect(new tidemark.UserCodeError('Socket Stream', 0, 1, lost).retriable).toBe(true);
    expect(new tidemark.JobExecutionException('id', 'job', new tidemark.UserCodeError('Socket Stream', 0, 1, lost)).retriable).toBe(true);
    expect(new tidemark.UserCodeError('Map', 0, 1, new Error('bug')).retriable).toBe(false);
  });

  test('no class in lib/ or connectors/ extends Error directly except TidemarkError', () => {
    const offenders: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(join(ROOT, d), { withFileTypes: true })) {
        const p = `${d}/${e.name}`;
        if (e.isDirectory()) walk(p);
        else if (/\.(ts|mts|mjs|js)$/.test(e.name)) {
          for (const m of readFileSync(join(ROOT, p), 'utf8').matchAll(/class\s+(\w+)\s+extends\s+(Error|TypeError|RangeError)\b/g)) {
            if (!(p === 'lib/core/errors.ts' && m[1] === 'TidemarkError')) offenders.push(`${p}: ${m[1]} extends ${m[2]}`);
          }
        }
      }
    };
    walk('lib');
    walk('connectors');
    expect(offenders).toEqual([]);
  });
});
