/**
 * A file sink whose target is not a regular file or directory (a FIFO, a device such as /dev/null or
 * /dev/stdout, a socket) is refused with one clear error, in both write modes — it is never deleted.
 * Before, OVERWRITE removed it (`rm` of /dev/null, as root) and published a regular file in its place.
 * (A FIFO in a temporary directory stands in for a device here: the same check, no risk to /dev.)
 */
import { afterAll, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StreamExecutionEnvironment } from '../../lib/index.ts';
import { FileSinkError, inProgressPath } from '../../connectors/file/index.ts';
import { causeChain, rejection, removeTempDirs, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

describe('a file sink whose target is a FIFO (or a device)', () => {
  for (const mode of ['OVERWRITE', 'NO_OVERWRITE'] as const) {
    test(`${mode}: the job fails naming the path; the FIFO is still there`, async () => {
      const fifo = join(tempDir(), 'pipe');
      execFileSync('mkfifo', [fifo]);
      const e = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
      e.fromElements('a', 'b').writeAsText(fifo, mode);
      const err = await rejection(e.execute());
      expect(String(err)).toContain(`${fifo} is not a regular file or directory`);
      expect(causeChain(err).some((c) => c instanceof FileSinkError)).toBe(true);
      expect(statSync(fifo).isFIFO()).toBe(true);
      expect(existsSync(inProgressPath(fifo))).toBe(false);
    });
  }
});
