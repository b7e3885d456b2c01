/** examples/fraud-detection.ts over a real socket: CEP alerts on the sample file, timeouts, late and bad lines. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { lines, removeTempDirs, REPO_ROOT, runCli, startServer } from '../helpers.ts';

afterAll(removeTempDirs);

const SAMPLE = readFileSync(join(REPO_ROOT, 'examples', 'data', 'transactions.csv'), 'utf8');
const ALERTS = [
  // 4111: the 25.00 between the test charge and the big one does not break the match (followedBy)
  'ALERT card 4111: 0.50 at 2024-01-01T00:00:05Z then 999.00 at 2024-01-01T00:00:45Z',
  // 5500: the small one arrives after the large one but is 2 s older: matched in timestamp order
  'ALERT card 5500: 0.99 at 2024-01-01T00:00:28Z then 750.00 at 2024-01-01T00:00:30Z',
];
// 3782: 600.00 came 90 s after 0.10; 6011: 0.25 is the last line; 6011's 800.00 had no small one before it
const SUMMARY = '2 small transaction(s) not followed by a large one within 1 min, 1 invalid line(s)';
const INVALID = 'invalid transaction "1704067235000,6011,twelve": expected <epochMillis>,<cardId>,<amount>';

/** Runs the example against a server that sends `chunks`, pausing `pauseMs` between them, then closes. */
async function runExample(chunks: string[], cliOptions: string[] = [], pauseMs = 0) {
  const server = await startServer(async (socket) => {
    for (const [i, chunk] of chunks.entries()) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      socket.write(chunk);
    }
    socket.end();
  });
  try {
    return await runCli(['run', ...cliOptions, 'examples/fraud-detection.ts', '--host', '127.0.0.1', '--port', String(server.port)]);
  } finally {
    await server.close();
  }
}

test('fraud-detection alerts on small-then-large per card in event time, counts timeouts and bad lines (inline)', async () => {
  const r = await runExample([SAMPLE]);
  expect(r.code, r.stderr).toBe(0);
  const out = lines(r.stdout);
  expect(out.slice(0, -1).sort()).toEqual(ALERTS);
  expect(out.at(-1)).toBe(SUMMARY); // printed after execute() returned
  expect(r.stderr).toContain(INVALID);
});

test('fraud-detection gives the same alerts with -t threads -p 2 (each line prefixed with its subtask)', async () => {
  const r = await runExample([SAMPLE], ['-t', 'threads', '-p', '2']);
  expect(r.code, r.stderr).toBe(0);
  const out = lines(r.stdout);
  expect(out).toContain(SUMMARY);
  expect(out.filter((l) => l !== SUMMARY).map((l) => l.replace(/^\d+> /, '')).sort()).toEqual(ALERTS);
  expect(out.filter((l) => l !== SUMMARY).every((l) => /^[12]> ALERT /.test(l))).toBe(true);
  expect(r.stderr).toContain(INVALID);
});

test('a transaction behind the watermark is printed with LATE and not matched', async () => {
  // After the sample, event time is past 00:02:55 (the watermark is emitted every 200 ms); a 0.30 test charge
  // at 00:00:01 and a 900.00 charge right after it in event time are both late and raise no alert.
  const lateLines = '1704067201000,9999,0.30\n1704067202000,9999,900.00\n';
  const r = await runExample([SAMPLE, lateLines], [], 1500);
  expect(r.code, r.stderr).toBe(0);
  expect(lines(r.stdout).sort()).toEqual(
    [...ALERTS, 'LATE card 9999: 0.30 at 2024-01-01T00:00:01Z', 'LATE card 9999: 900.00 at 2024-01-01T00:00:02Z', SUMMARY].sort(),
  );
});
