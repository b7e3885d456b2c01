/**
 * The Kafka examples against the real broker, run as the README shows (through `tidemark run`): the producer
 * fills a transactions topic from examples/data/transactions.csv, then kafka-to-kafka.ts writes the spend per
 * region and minute (exactly once: a read_committed reader sees each result once) and fraud-detection-kafka.ts
 * writes the CEP alerts, each with --bounded so the job ends.
 */
import { expect, it } from 'vitest';
import { lines, runCli } from '../../helpers.ts';
import { ADAPTERS, broker, describeKafka, readAll, uniqueName, valuesOf } from './kafka-env.ts';

const adapter = ADAPTERS[0]!;

describeKafka('Kafka examples (examples/produce.ts, kafka-to-kafka.ts, fraud-detection-kafka.ts)', () => {
  let transactions: string;

  it('produce.ts writes every line of the sample file, keyed by card, with its time as the Kafka timestamp', async () => {
    transactions = uniqueName('transactions');
    const r = await runCli(['run', 'examples/produce.ts', '--bootstrap-servers', broker(), '--topic', transactions, '--file', 'examples/data/transactions.csv']);
    expect(r.code, r.stderr).toBe(0);
    const records = await readAll(adapter.create(broker()), transactions);
    expect(records).toHaveLength(15);
    for (const rec of records) {
      const [ts, card] = rec.value!.toString().split(',');
      expect(rec.key?.toString()).toBe(card);
      expect(rec.timestamp).toBe(Number(ts));
    }
  });

  for (const cli of [[], ['-t', 'threads', '-p', '2']]) {
    it(`kafka-to-kafka.ts: spend per region and minute, exactly once (${cli.join(' ') || 'inline'})`, async () => {
      const output = uniqueName('spend');
      const r = await runCli(['run', ...cli, 'examples/kafka-to-kafka.ts', '--bootstrap-servers', broker(), '--input', transactions, '--output', output, '--bounded']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('invalid transaction "1704067235000,6011,twelve"');
      const spend = valuesOf(await readAll(adapter.create(broker()), output)).map((v) => JSON.parse(v) as unknown);
      expect(spend).toHaveLength(8);
      expect(spend).toEqual(
        expect.arrayContaining([
          { region: 'EU', minute: '2024-01-01T00:00Z', transactions: 5, total: 1775.49 },
          { region: 'US', minute: '2024-01-01T00:00Z', transactions: 2, total: 842 },
          { region: 'APAC', minute: '2024-01-01T00:01Z', transactions: 1, total: 0.1 },
          { region: 'EU', minute: '2024-01-01T00:01Z', transactions: 1, total: 60 },
          { region: 'US', minute: '2024-01-01T00:01Z', transactions: 2, total: 450 },
          { region: 'US', minute: '2024-01-01T00:02Z', transactions: 1, total: 450 },
          { region: 'APAC', minute: '2024-01-01T00:02Z', transactions: 1, total: 600 },
          { region: 'US', minute: '2024-01-01T00:03Z', transactions: 1, total: 0.25 },
        ]),
      );
    });

    it(`fraud-detection-kafka.ts: CEP alerts to the alerts topic (${cli.join(' ') || 'inline'})`, async () => {
      const output = uniqueName('alerts');
      const r = await runCli(['run', ...cli, 'examples/fraud-detection-kafka.ts', '--bootstrap-servers', broker(), '--input', transactions, '--output', output, '--bounded']);
      expect(r.code, r.stderr).toBe(0);
      expect(lines(r.stderr).filter((l) => l.includes('invalid transaction'))).toHaveLength(1);
      expect(valuesOf(await readAll(adapter.create(broker()), output)).sort()).toEqual([
        'ALERT card 4111: 0.50 at 2024-01-01T00:00:05Z then 999.00 at 2024-01-01T00:00:45Z',
        'ALERT card 5500: 0.99 at 2024-01-01T00:00:28Z then 750.00 at 2024-01-01T00:00:30Z',
      ]);
    });
  }
});
