/**
 * An error thrown in a slot's worker thread reaches the client with its class: `instanceof
 * TidemarkError` and the specific class work on the rejection of execute(), along the whole cause
 * chain, with `retriable` and `context` as the worker had them (a real threads-mode job). The wire
 * format (serializeError / deserializeError, through structured clone as postMessage does) keeps
 * class, message, stack, own fields and causes for every registered class.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { closedPort, removeTempDirs, runCli } from '../helpers.ts';
import { attribute, JobExecutionException, keyExtractionError, TidemarkError, UserCodeError, InvalidFunctionResultError } from '../../lib/core/errors.ts';
import { deserializeError, serializeError } from '../../lib/runtime/worker-protocol.ts';
import { FileSinkError } from '../../connectors/file/index.ts';

afterAll(removeTempDirs);

interface Seen {
  name: string;
  tidemark: boolean;
  classes: string[];
  retriable?: boolean;
  context?: Record<string, unknown>;
  sensor?: string;
}

async function failure(args: string[]): Promise<Seen[]> {
  const r = await runCli(['run', '-t', 'threads', '-p', '2', '-D', 'taskmanager.numberOfTaskSlots=2', 'test/fixtures/error-classes-job.ts', ...args]);
  expect(r.code).toBe(3);
  const line = r.stdout.split('\n').find((l) => l.startsWith('['));
  expect(line, r.stdout + r.stderr).toBeDefined();
  return JSON.parse(line!) as Seen[];
}

describe('errors keep their class across worker threads', () => {
  test('a reduce returning undefined: JobExecutionException > UserCodeError > InvalidFunctionResultError, with the key', async () => {
    const seen = await failure(['--case', 'reduce']);
    expect(seen.map((s) => s.classes)).toEqual([['JobExecutionException'], ['UserCodeError'], ['InvalidFunctionResultError']]);
    expect(seen.every((s) => s.tidemark && s.retriable === false)).toBe(true);
    expect(seen[0]!.context).toMatchObject({ job: 'error classes', operator: 'Broken reduce', parallelism: 2 });
    expect(seen[1]!.context).toMatchObject({ operator: 'Broken reduce', parallelism: 2 });
    expect(seen[2]!.context).toEqual({ key: 'a' });
  });

  test('a key selector that throws: KeyExtractionError with the record as input', async () => {
    const seen = await failure(['--case', 'key']);
    expect(seen.slice(0, 3).map((s) => s.classes)).toEqual([['JobExecutionException'], ['UserCodeError'], ['KeyExtractionError']]);
    expect(seen[1]!.context).toMatchObject({ operator: 'keyBy -> Map', input: { id: 'boom' } });
    expect(seen[2]!.context).toEqual({ input: { id: 'boom' } });
    expect(seen[3]).toMatchObject({ name: 'Error', tidemark: false }); // what the user's selector threw
  });

  test('a refused socket connection: SocketSourceError, retriable, and so is the job failure', async () => {
    const seen = await failure(['--case', 'socket', '--port', String(await closedPort())]);
    expect(seen.slice(0, 3).map((s) => s.classes)).toEqual([['JobExecutionException'], ['UserCodeError'], ['SocketSourceError']]);
    expect(seen.slice(0, 3).map((s) => s.retriable)).toEqual([true, true, true]);
  });

  test("the user's own registered TidemarkError subclass keeps its class and fields", async () => {
    const seen = await failure(['--case', 'own']);
    expect(seen[2]).toEqual({ name: 'SensorOfflineError', tidemark: true, classes: ['SensorOfflineError'], retriable: true, context: { input: 's2' }, sensor: 's2' });
  });

  test('the record the chain handed the failing operator is in the context of the UserCodeError and of the job failure, across threads', async () => {
    const seen = await failure(['--case', 'own']);
    expect(seen[1]!.context).toMatchObject({ operator: 'Read sensor', input: '"s2"' });
    expect(seen[0]!.context).toMatchObject({ job: 'error classes', operator: 'Read sensor', input: '"s2"' });
  });

  test("JavaScript's own error classes are kept too", async () => {
    const seen = await failure(['--case', 'type']);
    expect(seen[2]).toMatchObject({ name: 'TypeError', tidemark: false, classes: ['TypeError'] });
  });
});

/** What the master receives of an error the worker posted (postMessage clones it). */
const overTheWire = (e: unknown): Error => deserializeError(structuredClone(serializeError(e)));

describe('the wire format of an error', () => {
  test('keeps class, message, stack, fields, retriable, context and the cause chain', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(8), fc.jsonValue(), fc.jsonValue(), (operator, subtask, key, input) => {
        const inner = new InvalidFunctionResultError('reduce()', key, undefined);
        const e = new JobExecutionException('id', 'job', attribute(inner, operator, subtask, subtask + 1, { input }));
        const back = overTheWire(e);
        expect(back).toBeInstanceOf(JobExecutionException);
        expect(back).toBeInstanceOf(TidemarkError);
        expect(back.message).toBe(e.message);
        expect(back.stack).toBe(e.stack);
        expect(back.name).toBe('JobExecutionException');
        const b = back as JobExecutionException;
        expect(b.jobName).toBe('job');
        expect(b.context).toEqual(e.context);
        const u = b.cause as UserCodeError;
        expect(u).toBeInstanceOf(UserCodeError);
        expect([u.operatorName, u.subtaskIndex, u.parallelism]).toEqual([operator, subtask, subtask + 1]);
        expect(u.context).toEqual((e.cause as UserCodeError).context);
        expect(u.cause).toBeInstanceOf(InvalidFunctionResultError);
        expect((u.cause as InvalidFunctionResultError).functionName).toBe('reduce()');
        expect((u.cause as InvalidFunctionResultError).pointsAtCode).toBe(true);
      }),
    );
  });

  test('a cause that is not an Error stays a value; undefined thrown stays an own cause', () => {
    const back = overTheWire(attribute(undefined, 'Map', 0, 1)) as UserCodeError;
    expect(back).toBeInstanceOf(UserCodeError);
    expect('cause' in back).toBe(true);
    expect(back.cause).toBeUndefined();
    expect((overTheWire(attribute({ code: 7 }, 'Map', 0, 1)) as UserCodeError).cause).toEqual({ code: 7 });
  });

  test('a connector error keeps its fields; a class nobody registered arrives as an Error of that name', () => {
    const back = overTheWire(new FileSinkError('disk full', '/out.txt', 'ENOSPC'));
    expect(back).toBeInstanceOf(FileSinkError);
    expect((back as FileSinkError).path).toBe('/out.txt');
    expect((back as FileSinkError).code).toBe('ENOSPC');
    class Unregistered extends Error {
      override name = 'Unregistered';
    }
    const u = overTheWire(new Unregistered('x'));
    expect(u.constructor).toBe(Error);
    expect([u.name, u.message]).toEqual(['Unregistered', 'x']);
    const k = overTheWire(keyExtractionError(1, new RangeError('r')));
    expect(k.cause).toBeInstanceOf(RangeError);
  });
});
