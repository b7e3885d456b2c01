/**
 * A timer service against a model (a list ordered by time, then registration; one timer per (key,
 * namespace, time)) while timer callbacks register and delete timers of their key in any namespace at
 * or after their time; keys and namespaces print alike (1, '1', ['a'], 'a|b' in 'c', 'a' in 'b|c').
 */
import { expect, test } from 'vitest';
import fc from 'fast-check';
import { HeapKeyedStateBackend } from '../../../lib/state/heap-keyed-state-backend.ts';
import { InternalTimeServiceManager } from '../../../lib/state/timers/internal-timer-service.ts';
import { VOID_NAMESPACE } from '../../../lib/state/namespace.ts';
import { canonicalKey } from '../../../lib/state/keys.ts';

const KEYS: unknown[] = [1, '1', ['a'], 'a', 'a|b', ['a|b']];
const NSS: any[] = [VOID_NAMESPACE, 'c', 'b|c', 1, '1'];
const REACTING_FIRINGS = 500;
const id = (k: unknown, ns: any, t: number) => JSON.stringify([typeof canonicalKey(k), String(canonicalKey(k)), typeof ns, typeof ns === 'object' ? 'V' : ns, t]);

test('a timer callback registering its own timer again at its time makes the next firing take it (no end)', () => {
  // The case the bound below exists for: both fire the re-registered timer within the same advance, as Flink does.
  const b = new HeapKeyedStateBackend(128);
  const m = new InternalTimeServiceManager(b, { getCurrentProcessingTime: () => 0, registerTimer() {} });
  let fired = 0;
  const svc: any = m.getInternalTimerService('s', {
    onEventTime: (tm) => {
      if (++fired < 10) svc.registerEventTimeTimer(tm.namespace, tm.timestamp);
    },
    onProcessingTime() {},
  });
  b.setCurrentKey(1);
  svc.registerEventTimeTimer(VOID_NAMESPACE, 5);
  m.advanceWatermark(5);
  expect(fired).toBe(10);
});

test('fires exactly the model while callbacks register and delete timers', () => {
  const opArb = fc.tuple(fc.constantFrom('reg', 'del', 'wm'), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 6 }));
  fc.assert(fc.property(fc.array(opArb, { maxLength: 40 }), fc.array(fc.array(opArb, { maxLength: 2 }), { minLength: 8, maxLength: 8 }), (ops, reactions) => {
    const b = new HeapKeyedStateBackend(128);
    const m = new InternalTimeServiceManager(b, { getCurrentProcessingTime: () => 0, registerTimer() {} });
    let seq = 0;
    // A callback registering a timer at its own time can make the next firing register it again, forever
    // (an endless loop that grew both lists until the test process ran out of memory): the first
    // REACTING_FIRINGS firings react, later ones register nothing.
    const reaction = (firing: number) => (firing < REACTING_FIRINGS ? reactions[firing % 8]! : []);
    const pending: { id: string; k: unknown; ns: any; t: number; seq: number }[] = [];
    const firedReal: string[] = []; const firedModel: string[] = [];
    let fireCount = 0;
    const svc: any = m.getInternalTimerService('s', {
      onEventTime: (tm) => {
        firedReal.push(id(tm.key, tm.namespace, tm.timestamp));
        const r = reaction(fireCount++);
        for (const [o, , ni, t] of r) { // same key as timer (current key)
          if (o === 'reg') svc.registerEventTimeTimer(NSS[ni], tm.timestamp + (t % 2));
          else if (o === 'del') svc.deleteEventTimeTimer(NSS[ni], tm.timestamp + (t % 2));
        }
      }, onProcessingTime() {},
    });
    const mreg = (k: unknown, ns: any, t: number) => { const i = id(k, ns, t); if (!pending.some((p) => p.id === i)) pending.push({ id: i, k, ns, t, seq: seq++ }); };
    const mdel = (k: unknown, ns: any, t: number) => { const i = id(k, ns, t); const j = pending.findIndex((p) => p.id === i); if (j >= 0) pending.splice(j, 1); };
    let mfc = 0;
    const madv = (wm: number) => {
      for (;;) {
        pending.sort((x, y) => x.t - y.t || x.seq - y.seq);
        const p = pending[0];
        if (!p || p.t > wm) return;
        pending.shift();
        firedModel.push(p.id);
        const r = reaction(mfc++);
        for (const [o, , ni, t] of r) { if (o === 'reg') mreg(p.k, NSS[ni], p.t + (t % 2)); else if (o === 'del') mdel(p.k, NSS[ni], p.t + (t % 2)); }
      }
    };
    for (const [o, ki, ni, t] of ops) {
      b.setCurrentKey(KEYS[ki]);
      if (o === 'reg') { svc.registerEventTimeTimer(NSS[ni], t); mreg(KEYS[ki], NSS[ni], t); }
      else if (o === 'del') { svc.deleteEventTimeTimer(NSS[ni], t); mdel(KEYS[ki], NSS[ni], t); }
      else { m.advanceWatermark(t); madv(t); }
      expect(svc.numEventTimeTimers()).toBe(pending.length);
    }
    m.advanceWatermark(100); madv(100);
    expect(firedReal).toEqual(firedModel);
  }), { numRuns: 2000 });
});
