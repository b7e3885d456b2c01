/**
 * The job module runs in the CLI's job thread, yet process.stdin is the command's stdin: a job that
 * reads its input from stdin gets all of it (a worker thread's own stdin would be empty, and the job
 * would silently run on no input). A job that does not read stdin still exits at once.
 */
import { spawn } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { BIN, lines, REPO_ROOT } from '../helpers.ts';

function runWithStdin(args: readonly string[], input: string | null): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (input !== null) child.stdin.end(input);
    // input === null: stdin stays open (a terminal nobody types into)
  });
}

describe('a job that reads process.stdin', () => {
  test('gets every line piped into tidemark run', async () => {
    const input = Array.from({ length: 20_000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const r = await runWithStdin(['run', 'test/reliability/fixtures/stdin-lines-job.ts'], input);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(20_001);
    expect(out[0]).toBe('LINE 0');
    expect(out[19_999]).toBe('LINE 19999');
    expect(out.at(-1)).toBe(`read ${input.length} characters from stdin`);
  });

  test('-t threads: a job module that reads stdin fails, saying why (each worker evaluates it again, stdin can be read once)', async () => {
    const r = await runWithStdin(['run', '-t', 'threads', '-p', '2', 'test/reliability/fixtures/stdin-lines-job.ts'], 'a\nb\nc\n');
    expect(r.stderr).toContain('reads process.stdin, which -t threads cannot give it');
    expect(r.stdout).not.toContain('read 6 characters');
    expect(r.code).toBe(1);
  });

  test('a job that does not read stdin exits when it finishes, though stdin stays open', async () => {
    const r = await runWithStdin(['run', 'test/fixtures/print-config-job.ts'], null);
    expect(r.code).toBe(0);
  });
});
