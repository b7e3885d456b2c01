/**
 * Ctrl-C always stops a job, even one whose user code never returns (an endless loop in a map):
 * the CLI's main thread stays free to hear the signal and stops the job thread (inline) or the slot
 * worker (threads) when it does not stop by itself; a second Ctrl-C does not wait at all.
 */
import { describe, expect, test } from 'vitest';
import { LIFECYCLE_JOB, RunningCli, TARGETS } from './running-cli.ts';

describe('Ctrl-C stops a job whose map spins forever', () => {
  for (const target of TARGETS) {
    test(`-t ${target.name}: one SIGINT stops it, says so, exit 130`, async () => {
      const cli = new RunningCli(['run', ...target.args, LIFECYCLE_JOB, '--mode', 'spin']);
      await cli.waitForStdout('spinning on tick 0');
      cli.kill('SIGINT');
      const exit = await cli.exitWithin(15_000);
      expect(exit.stderr).toContain('canceling the job');
      // inline: the job thread itself is busy; threads: the slot's worker is.
      expect(exit.stderr).toMatch(/did not (answer the cancel|stop) within \d+ s \(user code may be busy\)/);
      expect(exit.stdout).not.toContain('job finished');
      expect(exit.code).toBe(130);
    });
  }

  test('a second SIGINT stops the job at once, without the grace period', async () => {
    const cli = new RunningCli(['run', LIFECYCLE_JOB, '--mode', 'spin']);
    await cli.waitForStdout('spinning on tick 0');
    cli.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 200));
    cli.kill('SIGINT');
    const exit = await cli.exitWithin(15_000);
    expect(exit.stderr).toContain('Received SIGINT again: stopping the job at once.');
    // Stopped by the second signal, not by the end of the grace period.
    expect(exit.stderr).not.toMatch(/did not (answer the cancel|stop) within/);
    expect(exit.code).toBe(130);
  });

  test('SIGTERM stops a spinning job too, exit 143', async () => {
    const cli = new RunningCli(['run', LIFECYCLE_JOB, '--mode', 'spin']);
    await cli.waitForStdout('spinning on tick 0');
    cli.kill('SIGTERM');
    const exit = await cli.exitWithin(15_000);
    expect(exit.code).toBe(143);
  });
});
