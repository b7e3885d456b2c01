/**
 * User code that throws something other than an Error (a string, a plain object, an object without
 * a prototype) fails the job naming the operator that threw — not the source it is chained to — and
 * shows the thrown value readably, inline and across the worker boundary.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { JobExecutionException, StreamExecutionEnvironment, UserCodeError } from '../../lib/index.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { causeChain, lines, rejection, removeTempDirs, runCli, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

function nullProto(): Record<string, unknown> {
  const o = Object.create(null) as Record<string, unknown>;
  o.code = 'E_NULLPROTO';
  return o;
}

const THROWN: Array<{ kind: string; value: () => unknown; text: string }> = [
  { kind: 'string', value: () => 'plain string failure', text: 'failed: plain string failure' },
  { kind: 'nullproto', value: nullProto, text: "[Object: null prototype] { code: 'E_NULLPROTO' }" },
  { kind: 'object', value: () => ({ code: 'E_PLAIN', detail: [1, 2] }), text: "{ code: 'E_PLAIN', detail: [ 1, 2 ] }" },
];

/** How a job fails whose map 'Checker' throws `thrown` on its second record (API, inline). */
async function failing(thrown: unknown): Promise<Error> {
  const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
  return (await rejection(
    env
      .fromElements(1, 2, 3)
      .map((x) => {
        if (x === 2) throw thrown;
        return x;
      })
      .name('Checker')
      .executeAndCollect(),
  )) as Error;
}

describe('a non-Error thrown by user code (API, inline)', () => {
  test.each(THROWN)('$kind: blamed on the map, shown readably, kept as the cause', async ({ value, text }) => {
    const thrown = value();
    const err = await failing(thrown);
    expect(err).toBeInstanceOf(JobExecutionException);
    expect(err.message).toContain("Operator 'Checker' (subtask 1/1)");
    expect(err.message).toContain(text);
    const chain = causeChain(err);
    expect((chain.find((c) => c instanceof UserCodeError) as UserCodeError).operatorName).toBe('Checker');
    expect(chain[chain.length - 1]).toBe(thrown);
  });
});

describe('a non-Error thrown by user code (CLI)', () => {
  const MODES = [
    { mode: 'inline', args: [] as string[], subtask: '(subtask 1/1)' },
    // fromElements (parallelism 1) rebalances to the map at parallelism 2: record 2 goes to subtask 2/2.
    { mode: 'threads', args: ['-t', 'threads', '-p', '2', '-D', 'taskmanager.numberOfTaskSlots=2'], subtask: '(subtask 2/2)' },
  ];
  const cases = MODES.flatMap((m) => THROWN.map((t) => ({ ...m, kind: t.kind, text: t.text })));
  test.each(cases)('$mode, $kind: exit 1, the map named, the value shown', async ({ args, subtask, kind, text }) => {
    const r = await runCli(['run', ...args, 'test/fixtures/throw-non-error-job.ts', '--throw', kind]);
    expect(r.code).toBe(1);
    const first = lines(r.stderr)[0] ?? '';
    expect(first).toContain(`Operator 'Checker' ${subtask} failed`);
    expect(first).toContain(text);
    expect(r.stderr).not.toContain('Cannot convert object to primitive value');
    expect(r.stderr).not.toContain('Collection Source');
  });
});

describe('values that are hard to show (API, inline)', () => {
  test.each([
    ['a Proxy whose traps throw', () => new Proxy({}, { getPrototypeOf: () => { throw new Error('trap'); }, get: () => { throw new Error('trap'); } }), '{}'],
    ['a revoked Proxy', () => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; }, '<Revoked Proxy>'],
  ])('%s: still blamed on the map that threw it, not on the source', async (_kind, value, text) => {
    const thrown = value();
    const err = await failing(thrown);
    expect(err).toBeInstanceOf(JobExecutionException);
    expect(err.message).toBe(`${err.message.slice(0, err.message.indexOf(':'))}: Operator 'Checker' (subtask 1/1) failed: ${text}`);
    const blamed = err.cause as UserCodeError;
    expect(blamed).toBeInstanceOf(UserCodeError);
    expect(blamed.operatorName).toBe('Checker');
    expect(blamed.cause).toBe(thrown);
  });

  test('a huge object or string is shown cut short, saying how much is left out', async () => {
    const big: Record<string, string> = {};
    for (let i = 0; i < 50_000; i++) big[`k${i}`] = 'x'.repeat(100);
    for (const thrown of [big, 'y'.repeat(1_000_000)]) {
      const err = await failing(thrown);
      expect(err.message.length).toBeLessThan(3000);
      expect(err.message).toMatch(/\.\.\. \(\d+ more characters\)$/);
      expect(err.message).toContain("Operator 'Checker' (subtask 1/1) failed: ");
    }
  });

  test('a record too big to show in a key selector error is cut short too', async () => {
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
    const record = { payload: 'z'.repeat(1_000_000) };
    const err = (await rejection(
      env
        .fromElements(record)
        .keyBy((): string => {
          throw new Error('no key');
        })
        .map((r) => r)
        .executeAndCollect(),
    )) as Error;
    expect(err.message).toContain('Could not extract key from');
    expect(err.message).toContain('no key');
    expect(err.message.length).toBeLessThan(3000);
  });
});

test.each([
  { mode: 'inline', args: [] as string[] },
  { mode: 'threads', args: ['-t', 'threads'] },
])('$mode: a thrown undefined is one line in the CLI (no "Caused by" repeating it)', async ({ args }) => {
  const r = await runCli(['run', ...args, 'test/fixtures/throw-non-error-job.ts', '--throw', 'undefined']);
  expect(r.code).toBe(1);
  expect(lines(r.stderr)).toHaveLength(1);
  expect(r.stderr).toMatch(/^Job 'non-error job' \(\w+\) failed: Operator 'Checker' \(subtask 1\/1\) failed: undefined\n$/);
});

test('a job module that throws an object without a prototype at top level: the CLI prints it', async () => {
  const job = join(tempDir(), 'top-level-throw.mjs');
  writeFileSync(job, "const o = Object.create(null); o.why = 'top level'; throw o;\n");
  const r = await runCli(['run', job]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("Error: [Object: null prototype] { why: 'top level' }");
  expect(r.stderr).not.toContain('Cannot convert object to primitive value');
});
