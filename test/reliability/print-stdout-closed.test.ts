/**
 * The reader of the CLI's stdout goes away (`tidemark run job.ts | head -2`): the print sink's
 * output cannot be delivered. The CLI says so in one line and exits 141 (128 + SIGPIPE, as a shell
 * reports a process killed by a broken pipe), not with Node's raw "Unhandled 'error' event" stack.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { BIN, FIXTURES, REPO_ROOT, removeTempDirs, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

function runClosingStdout(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000); // a bound for a broken build
    child.stdout.once('data', (d: Buffer) => {
      stdout += String(d);
      child.stdout.destroy(); // the reader goes away, as `head` does after its lines
    });
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr, stdout });
    });
  });
}

describe('the CLI when its stdout is closed by the reader', () => {
  for (const target of ['inline', 'threads']) {
    test(`${target}: one line on stderr and exit code 141`, async () => {
      const r = await runClosingStdout(['run', '-t', target, `${FIXTURES}/write-sequence-job.ts`, '--output', join(tempDir(), 'out.txt'), '--count', '3000000', '--print']);
      expect(r.stdout.length).toBeGreaterThan(0);
      expect(r.stderr).not.toContain('Unhandled');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('stdout was closed (EPIPE)');
      expect(r.code).toBe(141);
    });
  }
});
