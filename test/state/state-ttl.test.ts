/** State TTL: expiry, update types, visibility, cleanup on access and by the background sweep. */
import { describe, expect, test } from 'vitest';
import { Observable } from 'rxjs';
import {
  KeyedProcessFunction,
  ListStateDescriptor,
  MapStateDescriptor,
  StateTtlConfig,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  type Collector,
  type KeyedProcessContext,
} from '../../lib/index.ts';
import { HeapKeyedStateBackend } from '../../lib/state/heap-keyed-state-backend.ts';

function backendAt(clock: { t: number }): HeapKeyedStateBackend {
  return new HeapKeyedStateBackend(128, () => clock.t);
}

describe('state TTL (heap backend, injected clock)', () => {
  test('a value expires after the TTL since its last write; reads do not extend it by default', () => {
    const clock = { t: 0 };
    const b = backendAt(clock);
    const d = new ValueStateDescriptor<string>('v');
    d.enableTimeToLive(StateTtlConfig.newBuilder(100).build());
    const s = b.getValueState(d);
    b.setCurrentKey('k');
    s.update('x');
    clock.t = 60;
    expect(s.value()).toBe('x');
    clock.t = 99;
    expect(s.value()).toBe('x');
    clock.t = 100;
    expect(s.value()).toBeUndefined();
    expect(b.numKeys()).toBe(0); // cleaned up on access
  });

  test('OnReadAndWrite extends on reads; ReturnExpiredIfNotCleanedUp still returns an expired value', () => {
    const clock = { t: 0 };
    const b = backendAt(clock);
    const d = new ValueStateDescriptor<number>('v');
    d.enableTimeToLive(StateTtlConfig.newBuilder(100).updateTtlOnReadAndWrite().build());
    const s = b.getValueState(d);
    b.setCurrentKey('k');
    s.update(1);
    for (const t of [80, 160, 240]) {
      clock.t = t;
      expect(s.value()).toBe(1);
    }
    const d2 = new ValueStateDescriptor<number>('v2');
    d2.enableTimeToLive(StateTtlConfig.newBuilder(100).returnExpiredIfNotCleanedUp().build());
    const s2 = b.getValueState(d2);
    s2.update(7);
    clock.t += 500;
    expect(s2.value()).toBe(7);
    b.sweepExpired();
    expect(s2.value()).toBeUndefined();
  });

  test('lists and maps expire as a whole; adding refreshes them; the sweep drops untouched keys', () => {
    const clock = { t: 0 };
    const b = backendAt(clock);
    const ttl = StateTtlConfig.newBuilder(100).build();
    const ld = new ListStateDescriptor<number>('l');
    ld.enableTimeToLive(ttl);
    const md = new MapStateDescriptor<string, number>('m');
    md.enableTimeToLive(ttl);
    const l = b.getListState(ld);
    const m = b.getMapState(md);
    for (const k of ['a', 'b']) {
      b.setCurrentKey(k);
      l.add(1);
      m.put('x', 1);
    }
    clock.t = 90;
    b.setCurrentKey('a');
    l.add(2);
    m.put('y', 2);
    clock.t = 150;
    b.sweepExpired(); // 'b' was last written at 0
    expect(b.numKeys()).toBe(1);
    expect(l.get()).toEqual([1, 2]);
    expect([...m.keys()]).toEqual(['x', 'y']);
    clock.t = 190;
    expect(l.get()).toEqual([]);
  });
});

describe('state TTL in a job', () => {
  test('state written long ago is gone for the next record of the key', async () => {
    const env = StreamExecutionEnvironment.create();
    const events = new Observable<string>((s) => {
      s.next('a');
      setTimeout(() => s.next('a'), 200); // well past the 30 ms TTL
      setTimeout(() => s.complete(), 260);
    });
    const out = await env
      .fromObservable(events)
      .keyBy((k) => k)
      .process(
        new (class extends KeyedProcessFunction<string, string, string> {
          processElement(k: string, _ctx: KeyedProcessContext<string>, o: Collector<string>): void {
            const d = new ValueStateDescriptor<number>('count');
            d.enableTimeToLive(StateTtlConfig.newBuilder('30 ms').build());
            const s = this.getRuntimeContext().getState(d);
            s.update((s.value() ?? 0) + 1);
            o.collect(`${k}${s.value()}`);
          }
        })(),
      )
      .executeAndCollect();
    expect(out).toEqual(['a1', 'a1']);
  });
});
