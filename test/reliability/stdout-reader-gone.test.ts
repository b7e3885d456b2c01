/**
 * `tidemark run job.ts | head -1`: when the reader of stdout goes away (EPIPE), the job cannot deliver
 * what it prints. The CLI says so in one line (no raw Node stack of an unhandled 'error' event),
 * cancels the job — its file sink leaves the in-progress file, no file under the final name — and
 * exits 141, as a process killed by SIGPIPE does.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { inProgressPath } from '../../connectors/file/index.ts';
import { BIN, REPO_ROOT, removeTempDirs, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

function runAndCloseStdoutAfterFirstChunk(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit within 30 s; stderr: ${stderr}`));
    }, 30_000);
    child.stdout.once('data', () => child.stdout.destroy()); // the reader goes away, as `head -1` does
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('the reader of stdout goes away', () => {
  for (const target of ['inline', 'threads']) {
    test(`${target}: one clear line, the job is canceled, exit 141`, async () => {
      const path = join(tempDir(), 'out.txt');
      const r = await runAndCloseStdoutAfterFirstChunk([
        'run', '-t', target, 'test/fixtures/write-sequence-job.ts', '--output', path, '--count', '100000000', '--print',
      ]);
      expect(r.stderr).toContain('stdout was closed by its reader (EPIPE)');
      expect(r.stderr).not.toContain('    at ');
      expect(r.code).toBe(141);
      expect(existsSync(path)).toBe(false);
      expect(existsSync(inProgressPath(path))).toBe(true);
    });
  }
});

test('2>&1 | head -1 (stderr goes the same way): still exit 141, not a crash on writing the message', async () => {
  const path = join(tempDir(), 'out.txt');
  const script = `"${process.execPath}" "${BIN}" run test/fixtures/write-sequence-job.ts --output "${path}" --count 100000000 --print 2>&1 | head -1; echo "exit=\${PIPESTATUS[0]}"`;
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile('bash', ['-c', script], { cwd: REPO_ROOT, timeout: 30_000 }, (error, out) => (error ? reject(error) : resolve(out))),
  );
  expect(stdout.split('\n')).toEqual(['record-1', 'exit=141', '']);
});

test('stdout on a full disk (> /dev/full) is a failure, not a cancel by the reader: exit 1, the error named, nothing published', async () => {
  const path = join(tempDir(), 'out.txt');
  const script = `"${process.execPath}" "${BIN}" run test/fixtures/write-sequence-job.ts --output "${path}" --count 100000 --print > /dev/full; echo "exit=$?"`;
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
    execFile('bash', ['-c', script], { cwd: REPO_ROOT, timeout: 30_000 }, (error, out, err) => (error ? reject(error) : resolve({ stdout: out, stderr: err }))),
  );
  expect(stdout).toBe('exit=1\n');
  expect(stderr).toContain('writing to stdout failed (ENOSPC)');
  expect(stderr).not.toContain('    at ');
  expect(existsSync(path)).toBe(false);
});
