/**
 * A test run killed before its teardown (Ctrl-C twice, a CI timeout) leaves its broker running. The next run
 * used to reuse it and leave it running too — and so every run after: a java process outlived every
 * `npm test`. Now the setup adopts a broker whose owning test run is dead and stops it at the end; a broker a
 * user started (no owner) or one a live test run owns is still left alone.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { expect, it } from 'vitest';
import setup, { TEST_OWNER_FILE } from './broker-setup.ts';
import { describeKafka } from './kafka-env.ts';

describeKafka('the Kafka tests\' broker setup', () => {
  it('adopts a broker left running by a dead test run (stops it at the end), and leaves a live run\'s or a user\'s alone', async () => {
    const saved = fs.existsSync(TEST_OWNER_FILE) ? fs.readFileSync(TEST_OWNER_FILE, 'utf8') : undefined;
    const project = { provide: () => {} };
    try {
      const dead = spawnSync(process.execPath, ['-e', '0']).pid;
      fs.writeFileSync(TEST_OWNER_FILE, String(dead));
      // The returned teardown would stop the broker this run's other tests use: it is not called here.
      expect(typeof (await setup(project))).toBe('function');
      expect(fs.readFileSync(TEST_OWNER_FILE, 'utf8')).toBe(String(process.pid));

      fs.writeFileSync(TEST_OWNER_FILE, String(process.ppid)); // a live test run
      expect(await setup(project)).toBeUndefined();
      fs.rmSync(TEST_OWNER_FILE); // a user's broker (npm run kafka:start)
      expect(await setup(project)).toBeUndefined();
    } finally {
      if (saved === undefined) fs.rmSync(TEST_OWNER_FILE, { force: true });
      else fs.writeFileSync(TEST_OWNER_FILE, saved);
    }
  });
});
