/** readTextFile / writeAsText / writeAsCsv against real files in a temp directory. */
import { afterAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobExecutionException, StreamExecutionEnvironment } from '../../lib/index.ts';
import { causeChain, lines, rejection, removeTempDirs, runCli, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

function env(p = 1): StreamExecutionEnvironment {
  return StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });
}

describe('readTextFile', () => {
  test('reads every line in order: any content, LF or CRLF, with or without a final newline', async () => {
    const dir = tempDir();
    let n = 0;
    const lineArb = fc.string({ maxLength: 30 }).filter((s) => !s.includes('\n') && !s.includes('\r'));
    await fc.assert(
      fc.asyncProperty(fc.array(lineArb, { minLength: 1, maxLength: 50 }), fc.boolean(), fc.boolean(), async (ls, crlf, finalNewline) => {
        const path = join(dir, `in-${n++}.txt`);
        const eol = crlf ? '\r\n' : '\n';
        writeFileSync(path, ls.join(eol) + (finalNewline ? eol : ''));
        const out = await env(1).readTextFile(path).executeAndCollect();
        // A file that is one empty line without newline has no lines at all.
        const expected = !finalNewline && ls[ls.length - 1] === '' ? ls.slice(0, -1) : ls;
        expect(out).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  test('a file larger than the read chunk, with multi-byte characters across chunk edges', async () => {
    const dir = tempDir();
    const path = join(dir, 'big.txt');
    const ls = Array.from({ length: 30_000 }, (_, i) => `${i}:${'é€'.repeat(i % 7)}`);
    writeFileSync(path, ls.join('\n') + '\n');
    const out = await env(1).readTextFile(path).executeAndCollect();
    expect(out).toEqual(ls);
  });

  test('a directory: every file read once, each file in order, spread over subtasks', async () => {
    const dir = tempDir();
    const input = join(dir, 'in');
    mkdirSync(input);
    const files: Record<string, string[]> = {};
    for (let f = 0; f < 5; f++) {
      files[`part-${f}`] = Array.from({ length: 200 + f }, (_, i) => `${f}-${i}`);
      writeFileSync(join(input, `part-${f}`), files[`part-${f}`]!.join('\n') + '\n');
    }
    writeFileSync(join(input, '.hidden'), 'ignored\n');
    const out = await env(3).readTextFile(input).executeAndCollect();
    const all = Object.values(files).flat();
    expect([...out].sort()).toEqual([...all].sort());
    for (let f = 0; f < 5; f++) expect(out.filter((l) => l.startsWith(`${f}-`))).toEqual(files[`part-${f}`]);
  });

  test('a missing file fails with a clear error naming the path', async () => {
    const missing = join(tempDir(), 'does-not-exist.txt');
    const err = await rejection(env(1).readTextFile(missing).executeAndCollect());
    expect(err).toBeInstanceOf(JobExecutionException);
    expect((err as Error).message).toContain(missing);
    expect((err as Error).message).toContain('no such file or directory');
    expect(causeChain(err).some((c) => c instanceof Error && c.name === 'FileSourceError')).toBe(true);
  });

  test('the CLI reports a missing input in one message, without a stack trace', async () => {
    const missing = join(tempDir(), 'nope.txt');
    const r = await runCli(['run', 'examples/wordcount-batch.ts', '--input', missing]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(missing);
    expect(r.stderr).toContain('no such file or directory');
    expect(r.stderr).not.toContain('    at ');
  });
});

describe('writeAsText / writeAsCsv', () => {
  test('writes one formatted line per record (tuples as (a,b), objects as JSON)', async () => {
    const path = join(tempDir(), 'out.txt');
    const e = env(1);
    e.fromElements<unknown>(['a', 1], 'plain', { k: 'v' }, 42).writeAsText(path);
    await e.execute();
    expect(readFileSync(path, 'utf8')).toBe('(a,1)\nplain\n{"k":"v"}\n42\n');
  });

  test('NO_OVERWRITE (the default) on an existing file fails and leaves the file alone', async () => {
    const path = join(tempDir(), 'exists.txt');
    writeFileSync(path, 'keep me\n');
    const e = env(1);
    e.fromElements('new').writeAsText(path, 'NO_OVERWRITE');
    const err = await rejection(e.execute());
    expect(err).toBeInstanceOf(JobExecutionException);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toContain('already exists');
    expect(readFileSync(path, 'utf8')).toBe('keep me\n');
  });

  test('OVERWRITE replaces an existing file', async () => {
    const path = join(tempDir(), 'exists.txt');
    writeFileSync(path, 'old content that is longer than the new one\n');
    const e = env(1);
    e.fromElements('new').writeAsText(path, 'OVERWRITE');
    await e.execute();
    expect(readFileSync(path, 'utf8')).toBe('new\n');
  });

  test('at parallelism 2 the path is a directory holding one file per subtask (1, 2)', async () => {
    const path = join(tempDir(), 'out');
    const e = env(2);
    e.fromSequence(1, 1000).writeAsText(path);
    await e.execute();
    expect(statSync(path).isDirectory()).toBe(true);
    expect(readdirSync(path).sort()).toEqual(['1', '2']);
    const all = [...lines(readFileSync(join(path, '1'), 'utf8')), ...lines(readFileSync(join(path, '2'), 'utf8'))];
    expect(all.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
  });

  test('NO_OVERWRITE at parallelism 2 on an existing output directory fails', async () => {
    const path = join(tempDir(), 'out');
    const first = env(2);
    first.fromSequence(1, 10).writeAsText(path);
    await first.execute();
    const again = env(2);
    again.fromSequence(1, 10).writeAsText(path, 'NO_OVERWRITE');
    const err = await rejection(again.execute());
    expect((err as Error).message).toContain('already exists');
  });

  test('OVERWRITE at parallelism 2 replaces an existing file at the path with the output directory', async () => {
    const path = join(tempDir(), 'out');
    writeFileSync(path, 'an earlier single-file result\n');
    const e = env(2);
    e.fromSequence(1, 10).writeAsText(path, 'OVERWRITE');
    await e.execute();
    expect(statSync(path).isDirectory()).toBe(true);
    expect(readdirSync(path).sort()).toEqual(['1', '2']);
  });

  test('writeAsCsv writes tuple fields, quoting fields that contain the delimiter or quotes', async () => {
    const path = join(tempDir(), 'out.csv');
    const e = env(1);
    e.fromElements<[string, number]>(['plain', 1], ['a,b', 2], ['say "hi"', 3]).writeAsCsv(path);
    await e.execute();
    expect(readFileSync(path, 'utf8')).toBe('plain,1\n"a,b",2\n"say ""hi""",3\n');
  });

  test('writeAsCsv with custom delimiters', async () => {
    const path = join(tempDir(), 'out.tsv');
    const e = env(1);
    e.fromElements<[string, number]>(['x', 1], ['y', 2]).writeAsCsv(path, { fieldDelimiter: '\t', rowDelimiter: '\r\n' });
    await e.execute();
    expect(readFileSync(path, 'utf8')).toBe('x\t1\r\ny\t2\r\n');
  });
});

describe('writeAsText at parallelism > 1', () => {
  test('NO_OVERWRITE does not delete an existing file at the output path', async () => {
    const out = join(tempDir(), 'result.txt');
    writeFileSync(out, 'precious\n');
    const e = env(2);
    e.fromSequence(1, 10).writeAsText(out); // NO_OVERWRITE is the default
    await rejection(e.execute('must not overwrite')).catch(() => undefined);
    expect(existsSync(out) && statSync(out).isFile() ? readFileSync(out, 'utf8') : '(gone or replaced by a directory)').toBe('precious\n');
  });

  test('OVERWRITE replaces the whole output directory (no stale part files from an earlier, wider run)', async () => {
    const out = join(tempDir(), 'result');
    const e1 = env(4);
    e1.fromSequence(1, 8).map((x) => `old ${x}`).writeAsText(out, 'OVERWRITE');
    await e1.execute('wide run');
    const e2 = env(2);
    e2.fromSequence(1, 4).map((x) => `new ${x}`).writeAsText(out, 'OVERWRITE');
    await e2.execute('narrow run');
    const text = readdirSync(out)
      .sort()
      .map((f) => readFileSync(join(out, f), 'utf8'))
      .join('');
    expect(text).not.toContain('old');
    expect(readdirSync(out).sort()).toEqual(['1', '2']);
  });
});
