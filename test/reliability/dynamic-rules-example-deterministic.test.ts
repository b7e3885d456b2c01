/**
 * examples/fraud-detection-dynamic.ts prints the same alerts whatever the timing of its two sockets:
 * its rules run from the first transaction on (withInitialRules), and rule changes on the rule socket
 * only add to them. Reproduces the old race deterministically: the rule socket sends its rules only
 * after the transactions have ended, when event time has already passed every transaction.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { lines, removeTempDirs, REPO_ROOT, runCli, startServer } from '../helpers.ts';

afterAll(removeTempDirs);

const TXNS = readFileSync(join(REPO_ROOT, 'examples', 'data', 'transactions.csv'), 'utf8');
const RULES = readFileSync(join(REPO_ROOT, 'examples', 'data', 'rules.jsonl'), 'utf8');
const ALERTS = [
  'ALERT small-then-large card 4111: 0.50@00:00:05 999.00@00:00:45',
  'ALERT small-then-large card 5500: 0.99@00:00:28 750.00@00:00:30',
  'ALERT three-over-100 card 7007: 150.00@00:01:40 300.00@00:01:50 450.00@00:02:00',
];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Timing = 'rules first' | 'together' | 'rules after the transactions ended';

async function runExample(timing: Timing, cli: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let txnsClosed!: () => void;
  const txnsDone = new Promise<void>((resolve) => (txnsClosed = resolve));
  let rulesClosed!: () => void;
  const rulesDone = new Promise<void>((resolve) => (rulesClosed = resolve));
  const rules = await startServer(async (socket) => {
    if (timing === 'rules after the transactions ended') {
      await txnsDone;
      await sleep(500); // the job has read the end of the transactions and moved event time to the end
    }
    socket.end(RULES + 'not json\n', () => rulesClosed());
  });
  const txns = await startServer(async (socket) => {
    if (timing === 'rules first') await rulesDone;
    socket.end(TXNS, () => txnsClosed());
  });
  try {
    return await runCli(['run', ...cli, 'examples/fraud-detection-dynamic.ts', '--port', String(txns.port), '--rules-port', String(rules.port)]);
  } finally {
    await rules.close();
    await txns.close();
  }
}

describe('the dynamic-rules example does not depend on which socket is read first', () => {
  const cases: Array<[Timing, string[]]> = [
    ['rules after the transactions ended', []],
    ['rules first', []],
    ['together', []],
    ['rules after the transactions ended', ['-t', 'threads', '-p', '2']],
  ];
  test.each(cases)('%s (%j)', async (timing, cli) => {
    const r = await runExample(timing, cli);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout).map((l) => l.replace(/^\d+> /, '')).sort()).toEqual(ALERTS);
    expect(r.stderr).toContain('invalid rule "not json": not JSON');
    expect(r.stderr).not.toContain('were not checked');
  });
});
