/**
 * The slot workers of a threads job import one bundle of the worker, tidemark and the job module,
 * compiled once by the client for the job (execution/worker-bundle.ts), instead of transpiling the job
 * module and tidemark again each with tsx. What the job module does keeps working as it did: a local
 * TypeScript helper, JSON, a package (kafkajs), files read next to the module by import.meta.url,
 * top-level await with two execute() calls (the second replayed in the workers), and a failing user
 * function names the job's own file and line. The bundle's folder is gone when the command ends (a
 * killed process's when the next job builds one). A module that cannot be bundled (or imports a module
 * it names at run time, which a bundle would not hold) still runs (the workers use tsx), and the
 * command says why, once.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { FIXTURES, lines, removeTempDirs, runCli, tempDir } from '../../helpers.ts';

afterAll(removeTempDirs);

const JOB = 'test/fixtures/worker-bundle/job.ts';
const EXPECTED = ['<A> x3 gzip=1 own-url=true', '<B> x3 gzip=1 own-url=true', '<C> x3 gzip=1 own-url=true'];
const threads = ['-t', 'threads', '-p', '2', '-D', 'taskmanager.numberOfTaskSlots=2'];

test('every worker of both jobs imports the bundle; the job module behaves as it does inline; the folder is removed at the end', async () => {
  const tmp = join(tempDir(), 'tmp');
  mkdirSync(tmp);
  const r = await runCli(['run', ...threads, JOB], { env: { TIDEMARK_DEBUG: '1', TMPDIR: tmp } });
  expect(r.code).toBe(0);
  expect(lines(r.stdout).map((l) => l.replace(/^\d> /, '')).sort()).toEqual(EXPECTED);
  const err = lines(r.stderr);
  // two jobs (executeAndCollect, then execute), two slots each: all four workers from a bundle, one bundle per job
  expect(err.filter((l) => /^tidemark: slot \d worker ready [\d.]+ ms after new Worker \(bundle\)$/.test(l))).toHaveLength(4);
  const built = err.filter((l) => l.startsWith('tidemark: worker bundle of job '));
  expect(built).toHaveLength(2);
  for (const l of built) expect(l).toContain(`: ${tmp}/tidemark-worker-`);
  expect(err.filter((l) => !l.startsWith('tidemark: '))).toEqual([]);
  expect(readdirSync(tmp).filter((f) => f.startsWith('tidemark-worker-'))).toEqual([]); // (tsx keeps its cache there too)
});

test('a failing user function names its line in the job file, in the workers as inline', async () => {
  const line = readFileSync(join(FIXTURES, 'worker-bundle', 'job.ts'), 'utf8').split('\n').findIndex((l) => l.includes("throw new Error('bad word B')")) + 1;
  expect(line).toBeGreaterThan(0);
  for (const target of [threads, ['-t', 'inline', '-p', '2']]) {
    const r = await runCli(['run', ...target, JOB, '--fail']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error: bad word B');
    expect(r.stderr).toMatch(new RegExp(`\\(${FIXTURES.replaceAll('\\', '\\\\')}/worker-bundle/job\\.ts:${line}:\\d+\\)`));
  }
});

test('a job module that cannot be bundled runs through tsx in the workers; the command says why once', async () => {
  const r = await runCli(['run', ...threads, 'test/fixtures/worker-bundle/unbundlable-job.ts']);
  expect(r.code).toBe(0);
  expect(lines(r.stdout).map((l) => l.replace(/^\d> /, '')).sort()).toEqual(['10', '20', '30']);
  const err = lines(r.stderr);
  expect(err).toHaveLength(1);
  expect(err[0]).toMatch(/^tidemark: the workers of job 'unbundlable job' import .*unbundlable-job\.ts through tsx \(slower start\): it could not be bundled: .*Could not resolve "\.\/not-there\.ts"$/);
});

test('a CommonJS job module in the bundle: require of builtins and packages, its own __dirname and __filename', async () => {
  const r = await runCli(['run', ...threads, 'test/fixtures/worker-bundle/commonjs-job.cjs'], { env: { TIDEMARK_DEBUG: '1' } });
  expect(r.code).toBe(0);
  expect(lines(r.stdout).map((l) => l.replace(/^\d> /, '')).sort()).toEqual(['a 2s true', 'b 2s true', 'c 2s true']);
  expect(lines(r.stderr).filter((l) => l.includes('worker ready') && l.endsWith('(bundle)'))).toHaveLength(2);
});

test('a job module importing a module it names at run time runs through tsx in the workers, which the command says', async () => {
  const r = await runCli(['run', ...threads, 'test/fixtures/worker-bundle/dynamic-import-job.ts', '--helper', './helper.ts']);
  expect(r.code).toBe(0);
  expect(lines(r.stdout).map((l) => l.replace(/^\d> /, '')).sort()).toEqual(['<x>', '<y>']);
  const err = lines(r.stderr);
  expect(err).toHaveLength(1);
  expect(err[0]).toMatch(/through tsx \(slower start\): it could not be bundled: .*dynamic-import-job\.ts:7 imports a module it names at run time/);
});

test('a bundle left by a process that was killed is removed by the next job that builds one', async () => {
  const tmp = join(tempDir(), 'tmp');
  mkdirSync(tmp);
  // the id of a process that has exited
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.once('exit', r));
  const stale = join(tmp, `tidemark-worker-${child.pid}-AbC123`);
  mkdirSync(stale);
  writeFileSync(join(stale, 'slot-worker.mjs'), '');
  const live = join(tmp, `tidemark-worker-${process.pid}-XyZ789`); // this test's process is alive
  mkdirSync(live);
  const r = await runCli(['run', ...threads, JOB], { env: { TMPDIR: tmp } });
  expect(r.code).toBe(0);
  expect(readdirSync(tmp).filter((f) => f.startsWith('tidemark-worker-'))).toEqual([`tidemark-worker-${process.pid}-XyZ789`]);
});
