/**
 * Mistakes in how a job is called or written get one clear message (no stack, no esbuild internals)
 * and a non-zero exit: a bad -p value, a YAML alias cycle, a syntax error in the job file, a missing
 * job argument, CEP names imported from 'tidemark' instead of 'tidemark/cep'.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CEP_EXPORTS, CONNECTOR_EXPORTS, formatError } from '../../lib/cli/main.ts';
import { FIXTURES, REPO_ROOT, lines, removeTempDirs, runCli, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

const PRINT_CONFIG = join(FIXTURES, 'print-config-job.ts');

function expectOneLine(r: { code: number; stdout: string; stderr: string }): string {
  expect(r.code).not.toBe(0);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(lines(r.stderr), r.stderr).toHaveLength(1);
  return r.stderr.trim();
}

describe('one line for each mistake', () => {
  test('-p -1 says that the parallelism must be a positive integer, not that -p needs a value', async () => {
    for (const args of [['-p', '-1'], ['--parallelism', '-1'], ['--parallelism=-1'], ['-p', 'four']]) {
      const line = expectOneLine(await runCli(['run', ...args, PRINT_CONFIG]));
      expect(line).toMatch(/parallelism.*must be a positive integer, got (-1|four)/);
      expect(line).not.toContain('needs a value');
    }
  });

  test('-t with a target that does not exist is a usage error (exit 2) naming both targets, as a bad -p is', async () => {
    for (const args of [['-t', 'thread'], ['--target', 'cluster'], ['--target=Threads']]) {
      const r = await runCli(['run', ...args, PRINT_CONFIG]);
      expect(expectOneLine(r)).toMatch(/^Option (-t|--target): target \(execution.target\) must be inline or threads, got (thread|cluster|Threads)$/);
      expect(r.code).toBe(2);
    }
  });

  test('a .ts job with top-level await outside a "type": "module" package: one line saying how to load it as an ES module', async () => {
    const dir = tempDir(); // no package.json here: the job file is CommonJS
    const job = join(dir, 'job.ts');
    const lib = join(REPO_ROOT, 'lib', 'index.ts');
    writeFileSync(job, `import { StreamExecutionEnvironment } from '${lib}';\nconst env = StreamExecutionEnvironment.getExecutionEnvironment();\nenv.fromElements(1).print();\nawait env.execute('cjs');\n`);
    const line = expectOneLine(await runCli(['run', job], { cwd: dir }));
    expect(line).toContain(job);
    expect(line).toContain('loaded as CommonJS');
    expect(line).toContain('"type": "module"');
  });

  test('a require cycle through a module a rename cannot fix (.mts) keeps Node\'s message; a .ts job in a folder with a space gets the hint', () => {
    const cycle = (file: string): Error =>
      Object.assign(new Error(`Cannot require() ES Module ${file} in a cycle. A cycle involving require(esm) is not allowed.`), { code: 'ERR_REQUIRE_CYCLE_MODULE' });
    const own = formatError(cycle('/work/my job/lib/util.mts'));
    expect(own).toContain('Cannot require() ES Module /work/my job/lib/util.mts in a cycle');
    expect(own).not.toContain('Name it .mts');
    expect(formatError(cycle('/work/my job/job.ts'))).toBe(
      'Error: /work/my job/job.ts cannot be loaded: the job file is loaded as CommonJS. Name it .mts, or add "type": "module" to the nearest package.json.',
    );
  });

  test('a YAML alias cycle in the config file names the file and the key instead of overflowing the stack', async () => {
    const dir = tempDir();
    const file = join(dir, 'cycle.yaml');
    writeFileSync(file, 'parallelism: &loop\n  default: 2\n  again: *loop\n');
    const line = expectOneLine(await runCli(['run', '--config', file, PRINT_CONFIG]));
    expect(line).toContain(file);
    expect(line).toContain('parallelism.again');
    expect(line).toContain('alias cycle');
    expect(line).not.toContain('Maximum call stack');
  });

  test('a syntax error in a job file: file:line:column and the message, with the line and a caret', async () => {
    const dir = tempDir();
    const job = join(dir, 'broken-job.mts');
    writeFileSync(job, 'const env = 1;\nconst x = [1, 2].map((v) => v +);\nconsole.log(env, x);\n');
    const r = await runCli(['run', job]);
    expect(r.code).not.toBe(0);
    const [first, source, caret, ...rest] = lines(r.stderr);
    expect(first).toBe(`${job}:2:32: SyntaxError: Unexpected ")"`);
    expect(source).toBe('2 | const x = [1, 2].map((v) => v +);');
    expect(caret).toBe(`  | ${' '.repeat(31)}^`); // under the ")"
    expect(rest).toEqual([]);
    expect(r.stderr).not.toContain('esbuild');
  });

  test.each(['broken-job.mjs', 'broken-job.js'])('a syntax error in a JavaScript job file (%s) says where too, though Node does not', async (name) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const job = join(dir, name);
    writeFileSync(job, 'const env = 1;\nconst x = [1, 2].map((v) => v +);\nconsole.log(env, x);\n');
    const r = await runCli(['run', job]);
    expect(r.code).not.toBe(0);
    const [first, source, caret, ...rest] = lines(r.stderr);
    expect(first).toBe(`${job}:2:32: SyntaxError: Unexpected token ')'`);
    expect(source).toBe('2 | const x = [1, 2].map((v) => v +);');
    expect(caret).toBe(`  | ${' '.repeat(31)}^`);
    expect(rest).toEqual([]);
  });

  test('a syntax error in a module the JavaScript job imports keeps its message (the job file itself is fine)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'helper.mjs'), 'export const f = (v) => v +;\n');
    const job = join(dir, 'job.mjs');
    writeFileSync(job, "import { f } from './helper.mjs';\nconsole.log(f(1));\n");
    const r = await runCli(['run', job]);
    expect(r.code).not.toBe(0);
    expect(lines(r.stderr)[0]).toContain("SyntaxError: Unexpected token ';'");
    expect(r.stderr).not.toContain(`${job}:`);
  });

  test("ParameterTool.getRequired for a missing argument prints Flink's message, without a stack", async () => {
    const line = expectOneLine(await runCli(['run', join(FIXTURES, 'required-arg-job.ts')]));
    expect(line).toBe("ParameterToolException: No data for required key 'input'");
  });

  test("CEP names imported from 'tidemark' point to 'tidemark/cep'", async () => {
    const line = expectOneLine(await runCli(['run', join(FIXTURES, 'cep-from-main-entry-job.ts')]));
    expect(line).toContain("'Pattern' is not exported by 'tidemark'");
    expect(line).toContain("import { Pattern } from 'tidemark/cep'");
    expect(line).toContain('cep-from-main-entry-job.ts:');
  });

  test('the names the CLI knows are the names tidemark/cep and the connectors export', async () => {
    const cep = await import('../../lib/api/cep/index.ts');
    for (const name of Object.keys(cep)) expect(CEP_EXPORTS).toContain(name);
    for (const [connector, names] of Object.entries(CONNECTOR_EXPORTS)) {
      const mod = (await import(`../../connectors/${connector}/index.ts`)) as Record<string, unknown>;
      for (const name of Object.keys(mod)) expect(names).toContain(name);
    }
    const main = await import('../../lib/index.ts');
    for (const name of Object.keys(main)) expect(CEP_EXPORTS).not.toContain(name);
  });
});
