/**
 * A run that failed (the job module threw, or its job failed) ends with exit 1 once the error is
 * printed, as plain node ends on an uncaught error: it does not wait for what the module left open
 * (a Kafka admin client retrying a broker that does not answer, a timer, a server). It waited for
 * ever before.
 */
import { afterAll, expect, test } from 'vitest';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, removeTempDirs, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

const BIN = join(REPO_ROOT, 'bin', 'tidemark.mjs');

function jobFile(body: string): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  const job = join(dir, 'job.ts');
  writeFileSync(job, `import net from 'node:net';\nimport { StreamExecutionEnvironment } from '${join(REPO_ROOT, 'lib', 'index.ts')}';\n${body}`);
  return job;
}

/** Runs the command; a run still going after 30 s is killed (code null). */
function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { timeout: 30_000, killSignal: 'SIGKILL' }, (_error, _stdout, stderr) => {
      resolve({ code: child.exitCode, stderr: String(stderr) });
    });
  });
}

/** A server that accepts connections and never answers, a client connected to it, a timer. */
const OPEN_HANDLES = `const server = net.createServer(() => {}).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
net.connect((server.address() as net.AddressInfo).port, '127.0.0.1').on('error', () => {});
setInterval(() => {}, 1000);
`;

test('the job module throws at its top level', async () => {
  const r = await run(['run', jobFile(`${OPEN_HANDLES}throw new Error('the admin client could not connect');\n`)]);
  expect(r.stderr).toMatch(/^Error: the admin client could not connect\n/);
  expect(r.code, r.stderr).toBe(1);
});

test('its job fails (execute() rejects), inline and in worker threads', async () => {
  const body = `${OPEN_HANDLES}const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.fromElements(1, 2, 3).map((x) => { if (x === 2) throw new Error('bad record'); return x; }).print();
await env.execute('failing');
`;
  const job = jobFile(body);
  for (const target of ['inline', 'threads']) {
    const r = await run(['run', '-t', target, job]);
    expect(r.stderr, target).toContain('Caused by: Error: bad record');
    expect(r.code, `${target}: ${r.stderr}`).toBe(1);
  }
});

test('the module starts a job with executeAsync() and then throws: the job is canceled and the run ends', async () => {
  const body = `${OPEN_HANDLES}const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.fromSequence(1, Number.MAX_SAFE_INTEGER).filter(() => false).print();
await env.executeAsync('endless');
throw new Error('after the job started');
`;
  const r = await run(['run', jobFile(body)]);
  expect(r.stderr).toMatch(/^Error: after the job started\n/);
  expect(r.code, r.stderr).toBe(1);
});

test('a module that handles its failed job itself (execute().catch, no top-level await) is not ended: its next job runs', async () => {
  // The failure is the module's, not the run's: it was neither printed as the run's error nor ended the run (exit 1,
  // the next job canceled) while the module's handler ran.
  const body = `const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.fromElements(1, 2, 3).map((x) => { if (x === 2) throw new Error('bad record'); return x; }).print();
env.execute('failing').catch(async () => {
  await new Promise((r) => setTimeout(r, 50));
  const env2 = StreamExecutionEnvironment.getExecutionEnvironment();
  env2.fromElements(10, 20).print();
  await env2.execute('recovery');
  console.error('recovered');
});
`;
  const r = await run(['run', jobFile(body)]);
  expect(r.stderr).not.toContain('Caused by: Error: bad record');
  expect(r.stderr).toContain('recovered');
  expect(r.code, r.stderr).toBe(0);
});

test('a module that does not handle its failed execute() (no await, no catch) fails the run', async () => {
  const body = `const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.fromElements(1, 2, 3).map((x) => { if (x === 2) throw new Error('bad record'); return x; }).print();
void env.execute('failing');
`;
  const r = await run(['run', jobFile(body)]);
  expect(r.stderr).toContain('Caused by: Error: bad record');
  expect(r.code, r.stderr).toBe(1);
});

test("a job whose result the module asked for and ignored (getJobExecutionResult() not awaited) fails the run when it fails", async () => {
  const body = `const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.fromSequence(1, 300000).map((x) => { if (x === 200000) throw new Error('bad record'); return x; }).filter(() => false).print();
const client = await env.executeAsync('failing');
client.getJobExecutionResult();
`;
  const r = await run(['run', jobFile(body)]);
  expect(r.stderr).toContain('Caused by: Error: bad record');
  expect(r.code, r.stderr).toBe(1);
});
