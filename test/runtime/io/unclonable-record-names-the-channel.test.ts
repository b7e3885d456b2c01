/**
 * A record that cannot cross to another worker thread (a function field; a SharedArrayBuffer, which
 * bytes cannot share) fails the job with one message naming the channel (producer and consumer
 * subtasks) and why — not a bare "()=>1 could not be cloned." A Buffer crosses and arrives as the
 * Uint8Array structured clone makes of it.
 */
import { describe, expect, test } from 'vitest';
import { runCli } from '../../helpers.ts';

const run = (kind: string) => runCli(['run', '-t', 'threads', '-p', '2', 'test/fixtures/unclonable-record-job.ts', '--kind', kind]);

describe('records that cannot cross worker threads', () => {
  test('a function field: the job fails naming the channel', async () => {
    const r = await run('function');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/A record sent from 'Source: Sequence Source -> Make' \(subtask \d\/2\) to 'ClassOf.*' \(subtask \d\/2\) cannot cross to another worker thread/);
    expect(r.stderr).toContain('could not be cloned');
  }, 60_000);

  test('a SharedArrayBuffer field: the job fails saying bytes cannot share it', async () => {
    const r = await run('shared');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot cross to another worker thread.*SharedArrayBuffer.*TIDEMARK_EXCHANGE=port/);
  }, 60_000);

  test('a Buffer field crosses as a Uint8Array (structured clone), and stays a Buffer within its thread', async () => {
    const r = await run('buffer');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('Buffer,Uint8Array');
  }, 60_000);
});
