/**
 * `npx tsx bench/exchange-codec.ts` — encode and decode cost per record, in one thread, of the binary
 * exchange's framing (BatchSerializer / deserializeBatch) and of the earlier MessagePort codec (columns
 * or structured clone, encodeBatch / decodeBatch; postMessage itself not included), for the record
 * shapes of bench rows (b)-(d) and a few others. Batches of 1 024 records, best of --reps passes over
 * 200 batches. "through a ring" is the whole binary channel in one thread: encode, copy into a
 * SharedArrayBuffer ring, copy out, decode (RingOutputChannel.push + RingInputChannel.poll).
 */
import { MessageChannel } from 'node:worker_threads';
import { createRingBuffer } from '../lib/runtime/io/byte-ring.ts';
import { RingInputChannel, RingOutputChannel } from '../lib/runtime/io/ring-channels.ts';
import { ParameterTool } from '../lib/index.ts';
import { BatchSerializer, deserializeBatch } from '../lib/runtime/io/batch-serializer.ts';
import { decodeBatch, encodeBatch, type WireBatch } from '../lib/runtime/codec.ts';
import type { StreamBatch } from '../lib/runtime/elements.ts';
import { toReading } from './workload.ts';
import { toWindowEvent } from './windows.ts';
import { toCepEvent } from './cep.ts';

const params = ParameterTool.fromArgs(process.argv);
const reps = params.getInt('reps', 7);
const BATCHES = 200;
const SIZE = 1024;

const shapes: Array<[string, (i: number) => unknown]> = [
  ['number', (i) => i * 1.5],
  ['reading {id, sensor, value} (b)', toReading],
  ['window event {key, ts} (c)', toWindowEvent],
  ['CEP event (d)', toCepEvent],
  ['tuple [string, number]', (i) => [`user-${i % 100}`, i]],
  ['nested {k, pos: [x, y], meta: {ok, tag}}', (i) => ({ k: i % 7, pos: [i, -i], meta: { ok: i % 2 === 0, tag: 'abc' } })],
  ['mixed (fallback)', (i) => (i % 2 === 0 ? i : { i })],
];

function time(fn: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return (best * 1e6) / (BATCHES * SIZE);
}

console.log('| record shape | binary encode ns | binary decode ns | through a ring ns | bytes/record | port codec encode ns | port codec decode ns |');
console.log('|---|---|---|---|---|---|---|');
for (const [name, gen] of shapes) {
  const batches: StreamBatch[] = Array.from({ length: BATCHES }, (_, b) => ({
    v: Array.from({ length: SIZE }, (_, i) => gen(b * SIZE + i)),
    t: Array.from({ length: SIZE }, (_, i) => b * SIZE + i),
    c: null,
  }));
  const s = new BatchSerializer();
  let bytes = 0;
  const frames = batches.map((b) => s.serialize(b).slice());
  for (const f of frames) bytes += f.length;
  const enc = time(() => {
    for (const b of batches) s.serialize(b);
  });
  const dec = time(() => {
    for (const f of frames) deserializeBatch(f.subarray(4));
  });
  const ports = new MessageChannel();
  const sab = createRingBuffer(1 << 20);
  const out = new RingOutputChannel(sab, ports.port1, () => {});
  const input = new RingInputChannel(sab, ports.port2, () => {});
  const ring = time(() => {
    for (const b of batches) {
      out.push(b);
      if (input.poll() === undefined) throw new Error('a frame smaller than the ring did not arrive whole');
    }
  });
  out.close();
  input.close();
  const wires: WireBatch[] = batches.map((b) => encodeBatch(b).message);
  const penc = time(() => {
    for (const b of batches) encodeBatch(b);
  });
  const pdec = time(() => {
    for (const w of wires) decodeBatch(w);
  });
  // A batch the columns cannot carry goes by structured clone inside postMessage: not timed here.
  const columnar = 'columnar' in wires[0]!;
  const port = columnar ? `${penc.toFixed(1)} | ${pdec.toFixed(1)}` : 'structured clone (in postMessage) | -';
  console.log(`| ${name} | ${enc.toFixed(1)} | ${dec.toFixed(1)} | ${ring.toFixed(1)} | ${(bytes / (BATCHES * SIZE)).toFixed(1)} | ${port} |`);
}
