/** The NFA's building blocks: Dewey numbers (Flink's DeweyNumberTest) and the shared versioned buffer. */
import { describe, expect, test } from 'vitest';
import { DeweyNumber } from '../lib/cep/nfa/dewey-number.ts';
import { SharedBuffer } from '../lib/cep/nfa/sharedbuffer/shared-buffer.ts';

describe('DeweyNumber', () => {
  test('increase, addStage and compatibility, as in Flink', () => {
    const start = DeweyNumber.of(1);
    const increased = start.increase();
    const increaseAddStage = increased.addStage();
    const startAddStage = start.addStage();
    const startAddStageIncreased = startAddStage.increase();
    const startAddStageIncreasedAddStage = startAddStageIncreased.addStage();
    expect([start, increased, increaseAddStage, startAddStage, startAddStageIncreased, startAddStageIncreasedAddStage].map(String)).toEqual([
      '1',
      '2',
      '2.0',
      '1.0',
      '1.1',
      '1.1.0',
    ]);
    expect(startAddStage.isCompatibleWith(start)).toBe(true);
    expect(startAddStageIncreased.isCompatibleWith(startAddStage)).toBe(true);
    expect(startAddStageIncreasedAddStage.isCompatibleWith(startAddStageIncreased)).toBe(true);
    expect(startAddStageIncreasedAddStage.isCompatibleWith(startAddStage)).toBe(false);
    expect(increaseAddStage.isCompatibleWith(startAddStage)).toBe(false);
    expect(startAddStage.isCompatibleWith(increaseAddStage)).toBe(false);
    expect(startAddStageIncreased.isCompatibleWith(startAddStageIncreasedAddStage)).toBe(false);
    expect(DeweyNumber.fromString('1.0.2').equals(DeweyNumber.of(1).addStage().addStage().increase(2))).toBe(true);
    expect(() => DeweyNumber.fromString('1..2')).toThrow(/Invalid Dewey number/);
  });
});

describe('SharedBuffer', () => {
  test('branches share their prefix; each version extracts only its own path', () => {
    const buf = new SharedBuffer<string>();
    const e1 = buf.registerEvent('a1', 1);
    const e2 = buf.registerEvent('b2', 2);
    const e3 = buf.registerEvent('b3', 3);
    const v = DeweyNumber.of(1);
    const a = buf.put('a', e1, null, v);
    // Two branches after 'a' (as followedByAny makes): one takes b2, the other skips it and takes b3.
    const b2 = buf.put('b', e2, a, v.addStage());
    const b3 = buf.put('b', e3, a, v.addStage().increase());
    expect(buf.numEvents()).toBe(3); // 'a1' is stored once for both branches
    const show = (ms: Array<Map<string, string[]>>): string[] => ms.map((m) => [...m].map(([k, vs]) => `${k}=${vs.join(',')}`).join(' '));
    expect(show(buf.extractPatterns(b2, v.addStage()))).toEqual(['a=a1 b=b2']);
    expect(show(buf.extractPatterns(b3, v.addStage().increase()))).toEqual(['a=a1 b=b3']);
  });

  test('a looping stage chains its own events; versions keep two runs apart', () => {
    const buf = new SharedBuffer<number>();
    const ids = [1, 2, 3, 4].map((n) => buf.registerEvent(n, n));
    // run 1 takes 1, 2, 3 in loop 'x[]'; run 2 starts at 2 and takes 2, 4.
    const r1 = DeweyNumber.of(1);
    const r2 = DeweyNumber.of(2);
    const n1 = buf.put('x[]', ids[0]!, null, r1);
    const n2 = buf.put('x[]', ids[1]!, n1, r1.addStage());
    const m2 = buf.put('x[]', ids[1]!, null, r2); // same node (x[], event 2), a second edge
    const n3 = buf.put('x[]', ids[2]!, n2, r1.addStage());
    const m4 = buf.put('x[]', ids[3]!, m2, r2.addStage());
    expect(buf.extractPatterns(n3, r1.addStage()).map((m) => m.get('x[]'))).toEqual([[1, 2, 3]]);
    expect(buf.extractPatterns(m4, r2.addStage()).map((m) => m.get('x[]'))).toEqual([[2, 4]]);
    expect(buf.extractPatterns(n2, r1.addStage()).map((m) => m.get('x[]'))).toEqual([[1, 2]]);
    expect(buf.extractPatterns(m2, r2).map((m) => m.get('x[]'))).toEqual([[2]]);
  });

  test('releasing every holder frees nodes and events; unused events can be dropped', () => {
    const buf = new SharedBuffer<string>();
    const v = DeweyNumber.of(1);
    const e1 = buf.registerEvent('a', 1);
    const e2 = buf.registerEvent('b', 2);
    const unused = buf.registerEvent('noise', 3);
    const a = buf.put('a', e1, null, v);
    const b = buf.put('b', e2, a, v.addStage());
    buf.releaseUnusedEvent(unused);
    buf.releaseNode(a); // the computation state that held 'a' moved on; 'b' still needs it
    expect(buf.numNodes()).toBe(2);
    expect(buf.extractPatterns(b, v.addStage())).toHaveLength(1);
    buf.releaseNode(b);
    expect(buf.isEmpty()).toBe(true);
  });
});
