/** examples/fraud-detection-dynamic.ts over two real sockets: rule changes as JSON lines, and transactions. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { lines, removeTempDirs, REPO_ROOT, runCli, startServer } from '../helpers.ts';

afterAll(removeTempDirs);

const TXNS = readFileSync(join(REPO_ROOT, 'examples', 'data', 'transactions.csv'), 'utf8');
const RULES = readFileSync(join(REPO_ROOT, 'examples', 'data', 'rules.jsonl'), 'utf8');

test.each([
  ['inline', []],
  ['threads -p 2', ['-t', 'threads', '-p', '2']],
])('dynamic rules from a socket (%s): each alert names its rule; a bad rule is rejected and the others keep working', async (_mode, cli) => {
  let rulesSent!: () => void;
  const rulesDone = new Promise<void>((resolve) => (rulesSent = resolve));
  const rules = await startServer((socket) => {
    socket.write(RULES + '{"id":"broken","action":"upsert","spec":{"version":1,"stages":[{"name":"x","condition":"amount >"}]}}\nnot json\n', () => rulesSent());
    socket.end();
  });
  const txns = await startServer(async (socket) => {
    await rulesDone; // not needed for the alerts (the rules of examples/data/rules.jsonl run from the start)
    socket.end(TXNS);
  });
  try {
    const r = await runCli(['run', ...cli, 'examples/fraud-detection-dynamic.ts', '--port', String(txns.port), '--rules-port', String(rules.port)]);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout).map((l) => l.replace(/^\d+> /, '')).sort()).toEqual([
      'ALERT small-then-large card 4111: 0.50@00:00:05 999.00@00:00:45',
      'ALERT small-then-large card 5500: 0.99@00:00:28 750.00@00:00:30',
      'ALERT three-over-100 card 7007: 150.00@00:01:40 300.00@00:01:50 450.00@00:02:00',
    ]);
    expect(r.stderr).toContain('invalid rule "not json": not JSON');
    expect(r.stderr).toMatch(/rule rejected: rule 'broken': stages\[0\]\.condition: .*amount >/);
    expect(r.stderr).toContain('invalid transaction "1704067235000,6011,twelve"');
  } finally {
    await rules.close();
    await txns.close();
  }
});
