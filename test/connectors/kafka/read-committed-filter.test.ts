import fc from 'fast-check';
import { expect, it } from 'vitest';
import { committedRecords } from '../../../connectors/kafka/kafkajs/consumer.ts';
import type { FetchedRecord } from '../../../connectors/kafka/kafkajs/internals.ts';

// What the broker hands a read_committed fetch: records below the last stable offset (LSO), with transaction
// markers, plus the aborted transactions overlapping the range. The filter must keep exactly the records a
// model says are committed: non-transactional ones and those of transactions that committed.

type Op = { kind: 'data'; producer: number; transactional: boolean } | { kind: 'end'; producer: number; commit: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('data' as const), producer: fc.integer({ min: 1, max: 3 }), transactional: fc.boolean() }),
  fc.record({ kind: fc.constant('end' as const), producer: fc.integer({ min: 1, max: 3 }), commit: fc.boolean() }),
);

interface LogEntry {
  readonly record: FetchedRecord;
  /** Visible to read_committed: a data record outside transactions or in one that committed. */
  visible: boolean;
  readonly txn: number | undefined;
}

function controlKey(commit: boolean): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0); // version
  key.writeInt16BE(commit ? 1 : 0, 2); // type: 0 abort, 1 commit
  return key;
}

function buildLog(ops: readonly Op[]) {
  const log: LogEntry[] = [];
  const open = new Map<number, { id: number; firstOffset: number }>();
  const aborted: Array<{ producerId: string; firstOffset: string; markerOffset: number }> = [];
  const outcome = new Map<number, boolean>();
  let txnIds = 0;
  for (const op of ops) {
    const offset = log.length;
    const producerId = String(op.producer);
    if (op.kind === 'data') {
      let txn: number | undefined;
      if (op.transactional) {
        let t = open.get(op.producer);
        if (t === undefined) open.set(op.producer, (t = { id: txnIds++, firstOffset: offset }));
        txn = t.id;
      }
      log.push({
        record: { offset: String(offset), timestamp: '0', key: null, value: Buffer.from(`v${offset}`), headers: {}, batchContext: { producerId, inTransaction: op.transactional } },
        visible: !op.transactional,
        txn,
      });
    } else {
      const t = open.get(op.producer);
      if (t === undefined) continue; // no transaction to end
      open.delete(op.producer);
      outcome.set(t.id, op.commit);
      if (!op.commit) aborted.push({ producerId, firstOffset: String(t.firstOffset), markerOffset: offset });
      log.push({
        record: { offset: String(offset), timestamp: '0', key: controlKey(op.commit), value: null, headers: {}, isControlRecord: true, batchContext: { producerId, inTransaction: true } },
        visible: false,
        txn: undefined,
      });
    }
  }
  for (const e of log) if (e.txn !== undefined) e.visible = outcome.get(e.txn) === true;
  const lso = Math.min(log.length, ...[...open.values()].map((t) => t.firstOffset));
  return { log, aborted, lso };
}

it('keeps exactly the committed and non-transactional records of any fetched range (fast-check)', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), fc.nat(), (ops, startSeed) => {
      const { log, aborted, lso } = buildLog(ops);
      const start = lso === 0 ? 0 : startSeed % (lso + 1);
      const fetched = log.slice(start, lso);
      // The broker lists aborted transactions that overlap [start, lso): marker at/after start, begun before lso.
      const overlapping = aborted.filter((a) => a.markerOffset >= start && Number(a.firstOffset) < lso);
      const kept = committedRecords(fetched.map((e) => e.record), overlapping.map(({ producerId, firstOffset }) => ({ producerId, firstOffset })));
      expect(kept.map((r) => r.offset)).toEqual(fetched.filter((e) => e.visible).map((e) => e.record.offset));
    }),
    { numRuns: 500 },
  );
});

it('two aborted transactions that began before the fetched range are both dropped (kafkajs drops only one)', () => {
  const rec = (offset: number, producerId: string, control = false, commit = false): FetchedRecord => ({
    offset: String(offset), timestamp: '0', key: control ? controlKey(commit) : null, value: control ? null : Buffer.from('x'), headers: {},
    ...(control ? { isControlRecord: true } : {}), batchContext: { producerId, inTransaction: true },
  });
  // p1 began at 0 and p2 at 1, both aborted later; the fetch starts at 2 with a record of p2.
  const fetched = [rec(2, '2'), rec(3, '1', true), rec(4, '2', true)];
  expect(committedRecords(fetched, [{ producerId: '1', firstOffset: '0' }, { producerId: '2', firstOffset: '1' }])).toEqual([]);
});
