/**
 * A TidemarkError carries the context it was raised in: attribute() (where an operator's error is
 * attributed) fills in the operator, the subtask and what the caller knows (the record, the key);
 * the job failure adds the job's name; an error attributed once is not wrapped again.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { attribute, JobExecutionException, keyExtractionError, TidemarkError, UserCodeError } from '../../lib/core/errors.ts';

describe('error context', () => {
  test('attribute() names the operator, subtask, parallelism and the input it was given', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 64 }), fc.nat(), fc.anything(), fc.anything(), (operator, parallelism, i, input, key) => {
        const subtask = i % parallelism;
        const thrown = new Error('bug');
        const e = attribute(thrown, operator, subtask, parallelism, { input, key });
        expect(e).toBeInstanceOf(UserCodeError);
        expect(e).toBeInstanceOf(TidemarkError);
        expect(e.cause).toBe(thrown);
        expect(e.retriable).toBe(false);
        expect(e.context.operator).toBe(operator);
        expect(e.context.subtask).toBe(subtask);
        expect(e.context.parallelism).toBe(parallelism);
        expect(e.context.input).toBe(input);
        expect(e.context.key).toBe(key);
        // Already attributed (by an inner operator of the chain): kept as it is.
        expect(attribute(e, 'outer', 0, 1, { input: 'other' })).toBe(e);
      }),
    );
  });

  test('without a record the context still names operator and subtask', () => {
    const e = attribute('a thrown string', 'Map', 1, 2);
    expect(e.context).toEqual({ operator: 'Map', subtask: 1, parallelism: 2 });
    expect(e.cause).toBe('a thrown string');
  });

  test('a key selector error names the record as input', () => {
    const e = keyExtractionError({ id: 7 }, new Error('no id'));
    expect(e.context.input).toEqual({ id: 7 });
  });

  test('the job failure adds the job name to the context of what failed', () => {
    const inner = attribute(new Error('bug'), 'Map', 0, 1, { input: 3 });
    const e = new JobExecutionException('abc', 'my job', inner);
    expect(e.context).toEqual({ operator: 'Map', subtask: 0, parallelism: 1, input: 3, job: 'my job' });
    expect(e.cause).toBe(inner);
  });

  test('a context given to a TidemarkError is kept, retriable only when said', () => {
    const e = new TidemarkError('down', { retriable: true, context: { operator: 'Source', key: 'k' }, cause: 'why' });
    expect(e.retriable).toBe(true);
    expect(e.context).toEqual({ operator: 'Source', key: 'k' });
    expect(e.cause).toBe('why');
    const plain = new TidemarkError('x');
    expect(plain.retriable).toBe(false);
    expect(plain.context).toEqual({});
    expect('cause' in plain).toBe(false);
  });
});
