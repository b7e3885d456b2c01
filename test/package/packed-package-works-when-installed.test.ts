/**
 * The package as a user gets it: `npm pack` (its prepack builds dist/), the tarball installed into
 * new projects with `npm install --offline`, then used the ways users use it: plain `node`, worker
 * threads, a bundler, `tsc` against the installed types, and the `tidemark init` project with its own
 * `npm test` and `npx tidemark run`. Nothing comes from the network: each project gets a lockfile made
 * from this repository's (the same versions `npm ci` installed here, so their tarballs are in the npm
 * cache); npm 11 would otherwise ask the registry for full package metadata, which the cache lacks.
 * Packed once per run; tsc builds dist/ incrementally.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../helpers.ts';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a user's shell: none of this test run's (npm's lifecycle variables, vitest's,
 * node_modules/.bin of this repository on PATH, NODE_OPTIONS), so nothing of the repository leaks in.
 */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(VITEST|NODE_OPTIONS$|npm_)/.test(k) && !['npm_config_cache', 'npm_config_userconfig', 'npm_config_registry'].includes(k)) continue;
    env[k] = v;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((p) => !p.includes('node_modules'))
    .join(delimiter);
  return env;
}

function run(command: string, args: readonly string[], cwd: string): Promise<Result> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: userEnv(), timeout: 180_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function ok(command: string, args: readonly string[], cwd: string): Promise<Result> {
  const r = await run(command, args, cwd);
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

type LockEntry = Record<string, unknown> & {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};

/**
 * A package-lock.json for the project in `dir` with tidemark from `tarball` (a path relative to
 * `dir`) and every other package at the version this repository's lockfile pins, the closure of
 * what the project and tidemark depend on (Node's lookup through nested node_modules).
 */
function writeOfflineLockfile(dir: string, tarball: string): void {
  const repoLock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const tidemark = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as LockEntry & { version: string };
  const project = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as LockEntry & { name: string; version?: string; devDependencies?: Record<string, string> };
  const packages: Record<string, LockEntry> = {
    '': { name: project.name, version: project.version, dependencies: project.dependencies, devDependencies: project.devDependencies },
    'node_modules/tidemark': { version: tidemark.version, resolved: `file:${tarball}`, dependencies: tidemark.dependencies, bin: tidemark.bin, engines: tidemark.engines },
  };
  const lookup = (from: string, name: string): string | undefined => {
    for (let at = from; ; at = at.includes('/node_modules/') ? at.slice(0, at.lastIndexOf('/node_modules/')) : '') {
      const key = `${at === '' ? '' : `${at}/`}node_modules/${name}`;
      if (repoLock.packages[key] !== undefined) return key;
      if (at === '') return undefined;
    }
  };
  const queue: Array<[from: string, name: string, optional: boolean]> = [];
  const want = (from: string, deps: Record<string, string> | undefined, optional = false): void => {
    for (const name of Object.keys(deps ?? {})) queue.push([from, name, optional]);
  };
  want('', project.dependencies);
  want('', project.devDependencies);
  want('node_modules/tidemark', tidemark.dependencies);
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const [from, name, optional] = next;
    if (name === 'tidemark') continue;
    const key = lookup(from, name);
    if (key === undefined) {
      if (optional) continue;
      throw new Error(`${name} (needed by ${from || 'the project'}) is not in the repository's package-lock.json`);
    }
    if (packages[key] !== undefined) continue;
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = repoLock.packages[key]!;
    packages[key] = entry;
    want(key, entry.dependencies);
    want(key, entry.optionalDependencies, true);
    for (const peer of Object.keys(entry.peerDependencies ?? {})) if (entry.peerDependenciesMeta?.[peer]?.optional !== true) queue.push([key, peer, false]);
  }
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: project.name, lockfileVersion: 3, requires: true, packages }, null, 2));
}

async function installTarball(dir: string, tarball: string): Promise<void> {
  writeOfflineLockfile(dir, tarball);
  await ok('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], dir);
}

/** A JavaScript job: CEP on a keyed stream, collected; the target from its first argument. */
const JS_JOB = `import { fileURLToPath } from 'node:url';
import { StreamExecutionEnvironment, WatermarkStrategy } from 'tidemark';
import { CEP, Pattern } from 'tidemark/cep';

const env = StreamExecutionEnvironment.getExecutionEnvironment({
  'execution.target': process.argv[2] ?? 'inline',
  'parallelism.default': 2,
  'pipeline.job-module': fileURLToPath(import.meta.url), // what a threads worker evaluates
});
const events = env
  .fromElements({ user: 'a', kind: 'login', ts: 1 }, { user: 'b', kind: 'login', ts: 2 }, { user: 'a', kind: 'buy', ts: 3 }, { user: 'b', kind: 'logout', ts: 4 })
  .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps().withTimestampAssigner((e) => e.ts));
const loginThenBuy = Pattern.begin('login').where((e) => e.kind === 'login').next('buy').where((e) => e.kind === 'buy');
const matches = await CEP.pattern(events.keyBy((e) => e.user), loginThenBuy)
  .process({ processMatch: (m, _ctx, out) => out.collect(\`\${m.login[0].user} bought after login\`) })
  .executeAndCollect();
console.log(JSON.stringify(matches));
`;

/** A job whose map throws on its second record. */
const FAILING_JOB = `import { StreamExecutionEnvironment } from 'tidemark';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env
  .fromElements(1, 2, 3)
  .map((x) => {
    if (x === 2) throw new Error('bad record 2');
    return x;
  })
  .print();
await env.execute('failing job');
`;

/** A test for Node's own test runner, on the \`tidemark/testing\` harness. */
const NODE_TEST = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessFunctionTestHarnesses } from 'tidemark/testing';

test('a process function, driven by the harness', () => {
  const h = ProcessFunctionTestHarnesses.forProcessFunction((n, _ctx, out) => out.collect(n * 2));
  h.processElement(21, 1000);
  assert.deepEqual(h.extractOutputValues(), [42]);
});
`;

/** A TypeScript job naming every entry point (each connector included); the @ts-expect-error fails the check if the types were \`any\`. */
const TS_JOB = `import { StreamExecutionEnvironment, type DataStream } from 'tidemark';
import { Pattern } from 'tidemark/cep';
import { ProcessFunctionTestHarnesses } from 'tidemark/testing';
import { FileSink } from 'tidemark/connectors/file';
import { KafkaSource } from 'tidemark/connectors/kafka';
import { CollectionSource } from 'tidemark/connectors/collection';
import { PrintSink } from 'tidemark/connectors/print';
import { ObservableSource } from 'tidemark/connectors/rx';
import { SocketSourceError } from 'tidemark/connectors/socket';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
const numbers: DataStream<number> = env.fromElements(1, 2, 3);
// @ts-expect-error: the installed types are real ones: a number has no toUpperCase()
numbers.map((n) => n.toUpperCase());
const large = Pattern.begin<number, 'large'>('large').where((n) => n > 2);
export const used = [large, ProcessFunctionTestHarnesses, FileSink, KafkaSource, CollectionSource, PrintSink, ObservableSource, SocketSourceError];
`;

/** The usual esbuild recipe for a Node ESM bundle: CommonJS dependencies (yaml) get a require(). */
const BUNDLE_SCRIPT = `import { build } from 'esbuild';
await build({
  entryPoints: ['job.mjs'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: '../bundled/job.mjs',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
`;

/**
 * Each test runs commands (tsc, npm, tidemark jobs) of up to 180 s each (run()'s timeout): under the
 * load of the whole suite on 2 cores a test takes several times as long as alone.
 */
const COMMANDS_TIMEOUT = 300_000;

let root: string;
let tarball: string;
let packedFiles: string[];
/** A "type": "module" project with only tidemark installed. */
let app: string;
/** The project \`tidemark init my-job\` wrote, installed. */
let myJob: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tidemark-package-'));
  const packed = JSON.parse((await ok('npm', ['pack', '--json', '--pack-destination', root], REPO_ROOT)).stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = packed[0]!.filename;
  packedFiles = packed[0]!.files.map((f) => f.path);

  app = join(root, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
  await installTarball(app, `../${tarball}`);

  await ok('npx', ['--offline', 'tidemark', 'init', '../my-job'], app);
  myJob = join(root, 'my-job');
  await installTarball(myJob, `../${tarball}`);
}, 600_000);

afterAll(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

describe('the packed package, installed', () => {
  test('the tarball holds the build, the command, README and package.json: no sources, tests, benchmarks or examples', () => {
    expect(packedFiles.length).toBeGreaterThan(100);
    const outside = packedFiles.filter((f) => !/^(dist\/|bin\/)/.test(f) && !['package.json', 'README.md'].includes(f));
    expect(outside).toEqual([]);
    expect(packedFiles.filter((f) => /^(test|bench|examples|lib|connectors)\//.test(f) || /(?<!\.d)\.ts$/.test(f) || f.endsWith('.tsbuildinfo'))).toEqual([]);
    // every entry of the exports map, and the thread entries that are files of their own
    const connectors = readdirSync(join(REPO_ROOT, 'connectors'));
    for (const entry of ['lib/index', 'lib/api/cep/index', 'lib/testing/index', ...connectors.map((c) => `connectors/${c}/index`)]) {
      expect(packedFiles).toContain(`dist/${entry}.js`);
      expect(packedFiles).toContain(`dist/${entry}.d.ts`);
      expect(packedFiles).toContain(`dist/${entry}.js.map`);
    }
    for (const entry of ['dist/lib/runtime/worker-entry.mjs', 'dist/lib/cli/job-thread-entry.mjs', 'dist/lib/cli/supervisor.mjs', 'bin/tidemark.mjs']) {
      expect(packedFiles).toContain(entry);
    }
  });

  test('plain node runs a JavaScript job that imports tidemark and tidemark/cep, inline and in worker threads', async () => {
    writeFileSync(join(app, 'job.mjs'), JS_JOB);
    for (const target of ['inline', 'threads']) {
      const r = await run(process.execPath, ['job.mjs', target], app);
      expect(r.stderr, target).toBe('');
      expect(r.code, target).toBe(0);
      expect(r.stdout, target).toBe('["a bought after login"]\n');
    }
  }, COMMANDS_TIMEOUT);

  test("a failing job's error shows the user's frames and none of tidemark's (inline and threads)", async () => {
    writeFileSync(join(app, 'failing-job.ts'), FAILING_JOB);
    for (const target of ['inline', 'threads']) {
      const r = await run('npx', ['--offline', 'tidemark', 'run', '-t', target, 'failing-job.ts'], app);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr, target).toContain('Caused by: Error: bad record 2\n');
      const frames = r.stderr.split('\n').filter((l) => /^\s+at /.test(l));
      expect(frames.length, r.stderr).toBeGreaterThan(0);
      // tidemark's own frames (dist/, or the sources its source maps name) are cut off
      expect(frames.filter((l) => !l.includes(join(app, 'failing-job.ts:'))), target).toEqual([]);
    }
  }, COMMANDS_TIMEOUT);

  test("Node's test runner runs a test that imports tidemark/testing", async () => {
    writeFileSync(join(app, 'harness.test.mjs'), NODE_TEST);
    const r = await run(process.execPath, ['--test', 'harness.test.mjs'], app);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^# pass 1$/m);
  }, COMMANDS_TIMEOUT);

  test('an esbuild bundle of a job that imports tidemark runs on its own (no node_modules beside it)', async () => {
    writeFileSync(join(app, 'job.mjs'), JS_JOB);
    writeFileSync(join(app, 'bundle.mjs'), BUNDLE_SCRIPT);
    await ok(process.execPath, ['bundle.mjs'], app); // esbuild: installed with tsx, tidemark's dependency
    const bundled = join(root, 'bundled');
    expect(readdirSync(bundled)).toEqual(['job.mjs']);
    const r = await run(process.execPath, ['job.mjs'], bundled);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('["a bought after login"]\n');
  }, COMMANDS_TIMEOUT);

  test('tsc type-checks a TypeScript job against the installed types of every entry point (their own .d.ts checked too)', async () => {
    writeFileSync(join(myJob, 'typed-job.ts'), TS_JOB);
    writeFileSync(join(myJob, 'tsconfig.typed.json'), JSON.stringify({ extends: './tsconfig.json', compilerOptions: { skipLibCheck: false }, include: ['typed-job.ts'] }));
    const r = await run('npx', ['--offline', 'tsc', '--noEmit', '-p', 'tsconfig.typed.json'], myJob);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, COMMANDS_TIMEOUT);

  test('the tidemark init project passes its own npm test (tsc and the tidemark/testing harness)', async () => {
    const r = await run('npm', ['test'], myJob);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/Tests\s+3 passed \(3\)/); // without colours
  }, COMMANDS_TIMEOUT);

  test('its job runs with npx tidemark run (inline and threads) and with tsx', async () => {
    const alert = 's1 above 90 since 2023-11-14T22:13:25.000Z';
    const inline = await run('npx', ['--offline', 'tidemark', 'run', 'src/job.ts', '--input', 'data/readings.jsonl'], myJob);
    expect(inline.stderr).toBe('');
    expect(inline.code).toBe(0);
    expect(inline.stdout).toBe(`${alert}\n`);
    const threads = await run('npx', ['--offline', 'tidemark', 'run', '-t', 'threads', '-p', '2', 'src/job.ts', '--input', 'data/readings.jsonl'], myJob);
    expect(threads.stderr).toBe('');
    expect(threads.code).toBe(0);
    expect(threads.stdout).toMatch(new RegExp(`^[12]> ${alert}\\n$`));
    const tsx = await run('npx', ['--offline', 'tsx', 'src/job.ts', '--input', 'data/readings.jsonl'], myJob);
    expect(tsx.stderr).toBe('');
    expect(tsx.code).toBe(0);
    expect(tsx.stdout).toBe(`${alert}\n`);
  }, COMMANDS_TIMEOUT);
});
