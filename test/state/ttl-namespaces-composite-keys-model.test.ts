/**
 * TTL state in several namespaces with primitive and composite keys that print alike (1, '1', ['a'],
 * 'a') against a model: writes, reads (both update types, both visibilities), clear, clearNamespace,
 * the sweep and time passing; the backend holds exactly the model's entries and remembers exactly the
 * composite keys some entry still holds.
 */
import { expect, test } from 'vitest';
import fc from 'fast-check';
import { HeapKeyedStateBackend } from '../../lib/state/heap-keyed-state-backend.ts';
import { ValueStateDescriptor, ListStateDescriptor, MapStateDescriptor, StateTtlConfig } from '../../lib/index.ts';
import { VOID_NAMESPACE } from '../../lib/state/namespace.ts';
import { canonicalKey } from '../../lib/state/keys.ts';

const KEYS: unknown[] = ['a', ['a'], 1, '1', { x: 1 }, [1]];
const NSS = [VOID_NAMESPACE, 'n1', 'n2', 3];
const TTL = 10;

test('TTL state over namespaces and composite keys holds exactly the model, and no composite key outlives its entries', () => {
  fc.assert(fc.property(
    fc.constantFrom('OnCreateAndWrite', 'OnReadAndWrite'),
    fc.constantFrom('NeverReturnExpired', 'ReturnExpiredIfNotCleanedUp'),
    fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 4 })), { maxLength: 60 }),
    (upd, vis, ops) => {
      const clock = { t: 0 };
      const b = new HeapKeyedStateBackend(128, () => clock.t);
      const ttl = StateTtlConfig.newBuilder(TTL).setUpdateType(upd as any).setStateVisibility(vis as any).build();
      const ds = [new ValueStateDescriptor<number>('v'), new ListStateDescriptor<number>('l'), new MapStateDescriptor<number, number>('m')];
      ds.forEach((d) => d.enableTimeToLive(ttl));
      // model: state idx -> ns -> ck -> {val, at, key}
      const model = new Map<string, { v: any; at: number; key: unknown }>();
      const mk = (s: number, ns: unknown, ck: unknown) => `${s}|${typeof ns === 'object' ? 'VOID' : typeof ns + ns}|${typeof ck}:${String(ck)}`;
      const read = (id: string) => {
        const e = model.get(id);
        if (!e) return undefined;
        if (clock.t - e.at >= TTL) { if (vis === 'ReturnExpiredIfNotCleanedUp') return e; model.delete(id); return undefined; }
        if (upd === 'OnReadAndWrite') e.at = clock.t;
        return e;
      };
      for (const [op, ki, ni, si, x] of ops) {
        const key = KEYS[ki]; const ns = NSS[ni]!; const ck = canonicalKey(key);
        b.setCurrentKey(key);
        const st: any = b.getPartitionedState(ns, ds[si]!);
        const id = mk(si, ns, ck);
        switch (op) {
          case 0: case 1: case 2: { // write
            const e = read(id);
            if (si === 0) { st.update(x); model.set(id, { v: x, at: clock.t, key: e?.key ?? key }); }
            else if (si === 1) { st.add(x); if (e) { e.v = [...e.v, x]; e.at = clock.t; } else model.set(id, { v: [x], at: clock.t, key }); }
            else { st.put(x, x); if (e) { e.v = new Map(e.v).set(x, x); e.at = clock.t; } else model.set(id, { v: new Map([[x, x]]), at: clock.t, key }); }
            break;
          }
          case 3: { // read
            const e = read(id);
            const got = si === 0 ? st.value() : si === 1 ? st.get() : new Map(st.entries());
            const want = e === undefined ? (si === 0 ? undefined : si === 1 ? [] : new Map()) : e.v;
            expect(got).toEqual(want);
            break;
          }
          case 4: st.clear(); model.delete(id); break;
          case 5: st.clearNamespace(ns); for (const k of [...model.keys()]) if (k.startsWith(mk(si, ns, '').slice(0, -('string:'.length)))) model.delete(k); break;
          case 6: b.sweepExpired(); for (const [k, e] of [...model]) if (clock.t - e.at >= TTL) model.delete(k); break;
          default: clock.t += x + 1;
        }
        expect(b.numEntries()).toBe(model.size);
        const composites = new Set([...model.values()].filter((e) => typeof e.key === 'object').map((e) => canonicalKey(e.key)));
        expect((b as any).compositeKeys.size).toBe(composites.size);
      }
    }), { numRuns: 1000 });
});
