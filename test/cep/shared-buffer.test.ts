/** The NFA's building blocks: Dewey numbers (Flink's DeweyNumberTest) and the shared versioned buffer. */
import { describe, expect, test } from 'vitest';
import { DeweyNumber } from '../../lib/cep/nfa/dewey-number.ts';
import { SharedBuffer, edgesOf, materialize } from '../../lib/cep/nfa/sharedbuffer/shared-buffer.ts';

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
  const show = <T>(buf: SharedBuffer<T>, paths: ReturnType<SharedBuffer<T>['extractPatterns']>): string[] =>
    paths.map((p) => [...materialize(p)].map(([k, vs]) => `${k}=${vs.join(',')}`).join(' '));

  test('branches share their prefix; each version extracts only its own path', () => {
    const buf = new SharedBuffer<string>();
    const v = DeweyNumber.of(1);
    const e1 = buf.registerEvent('a1', 1);
    const a = buf.put('a', e1, null, v);
    buf.lockNode(a, v);
    const e2 = buf.registerEvent('b2', 2);
    const e3 = buf.registerEvent('b3', 3);
    // Two branches after 'a' (as followedByAny makes): one takes b2, the other skips it and takes b3.
    const b2 = buf.put('b', e2, a, v.addStage());
    buf.lockNode(b2, v.addStage());
    const b3 = buf.put('b', e3, a, v.addStage().increase());
    buf.lockNode(b3, v.addStage().increase());
    for (const e of [e1, e2, e3]) buf.releaseEvent(e);
    expect(buf.numEvents()).toBe(3); // 'a1' is stored once for both branches
    expect(show(buf, buf.extractPatterns(b2, v.addStage()))).toEqual(['a=a1 b=b2']);
    expect(show(buf, buf.extractPatterns(b3, v.addStage().increase()))).toEqual(['a=a1 b=b3']);
  });

  test('a looping stage chains its own events; versions keep two runs apart', () => {
    const buf = new SharedBuffer<number>();
    const ev = [1, 2, 3, 4].map((n) => buf.registerEvent(n, n));
    // run 1 takes 1, 2, 3 in loop 'x'; run 2 starts at 2 and takes 2, 4.
    const r1 = DeweyNumber.of(1);
    const r2 = DeweyNumber.of(2);
    const n1 = buf.put('x', ev[0]!, null, r1);
    const n2 = buf.put('x', ev[1]!, n1, r1.addStage());
    const m2 = buf.put('x', ev[1]!, null, r2); // same node (x, event 2), a second edge
    const n3 = buf.put('x', ev[2]!, n2, r1.addStage());
    const m4 = buf.put('x', ev[3]!, m2, r2.addStage());
    const xs = (ps: ReturnType<SharedBuffer<number>['extractPatterns']>) => ps.map((p) => materialize(p).get('x'));
    expect(xs(buf.extractPatterns(n3, r1.addStage()))).toEqual([[1, 2, 3]]);
    expect(xs(buf.extractPatterns(m4, r2.addStage()))).toEqual([[2, 4]]);
    expect(xs(buf.extractPatterns(n2, r1.addStage()))).toEqual([[1, 2]]);
    expect(xs(buf.extractPatterns(m2, r2))).toEqual([[2]]);
    expect(buf.numNodes()).toBe(4); // (x,2) is one node with two edges
  });

  test('releasing every holder frees edges, nodes and events; a released branch leaves no edge to follow', () => {
    const buf = new SharedBuffer<string>();
    const v = DeweyNumber.of(1);
    const e1 = buf.registerEvent('a', 1);
    const a = buf.put('a', e1, null, v);
    buf.lockNode(a, v); // computation state waiting after 'a'
    buf.releaseEvent(e1);
    const e2 = buf.registerEvent('b', 2);
    const noise = buf.registerEvent('noise', 3);
    const b = buf.put('b', e2, a, v.addStage());
    buf.lockNode(b, v.addStage());
    const b1 = buf.put('b', e2, a, v.addStage().increase()); // a second branch through the same node
    buf.lockNode(b1, v.addStage().increase());
    buf.releaseEvent(e2);
    buf.releaseEvent(noise); // no node took it: gone
    expect(buf.numEvents()).toBe(2);
    buf.releaseNode(a, v); // the state that waited after 'a' moved on; 'b' still needs it
    buf.releaseNode(b1, v.addStage().increase()); // the second branch is discarded
    expect(buf.numNodes()).toBe(2);
    expect(show(buf, buf.extractPatterns(b, v.addStage()))).toEqual(['a=a b=b']);
    buf.releaseNode(b, v.addStage());
    expect(buf.isEmpty()).toBe(true);
  });

  test('a node keeps its edges in order of arrival, across one edge and several, through releases', () => {
    const buf = new SharedBuffer<string>();
    const runs = [1, 2, 3, 4, 5].map((n) => DeweyNumber.of(n));
    const starts = runs.map((r, i) => {
      const n = buf.put('s', buf.registerEvent(`p${i + 1}`, i + 1), null, r);
      buf.lockNode(n, r);
      return n;
    });
    const e = buf.registerEvent('x', 10);
    const take = (i: number): void => {
      buf.put('x', e, starts[i]!, runs[i]!.addStage());
      buf.lockNode(x, runs[i]!.addStage());
    };
    const x = buf.put('x', e, starts[0]!, runs[0]!.addStage());
    buf.lockNode(x, runs[0]!.addStage());
    const order = (): string[] => edgesOf(x).map((edge) => edge.target!.event.value);
    const path = (i: number): string[] => buf.extractPatterns(x, runs[i]!.addStage()).map((p) => materialize(p).get('s')![0]!);
    expect(order()).toEqual(['p1']);
    buf.lockNode(x, DeweyNumber.of(9)); // a holder compatible with no edge keeps the node
    buf.releaseNode(x, runs[0]!.addStage()); // its only edge goes
    expect(order()).toEqual([]);
    take(1);
    take(2);
    take(3);
    expect(order()).toEqual(['p2', 'p3', 'p4']);
    buf.releaseNode(x, runs[2]!.addStage()); // the middle one goes
    expect(order()).toEqual(['p2', 'p4']);
    take(4);
    expect(order()).toEqual(['p2', 'p4', 'p5']);
    expect([path(1), path(2), path(3), path(4)]).toEqual([['p2'], [], ['p4'], ['p5']]);
  });

  test('paths through several compatible edges come out in edge order', () => {
    // Branches of one run (1.0, 1.1, 1.2) into the same node: a version compatible with all of them lists every path, in edge order.
    const buf = new SharedBuffer<string>();
    const run = DeweyNumber.of(1);
    const x = buf.registerEvent('x', 10);
    let node = null as ReturnType<SharedBuffer<string>['put']> | null;
    for (const [name, digit] of [['q', 0], ['p', 1], ['r', 2]] as const) {
      const start = buf.put('s', buf.registerEvent(name, digit + 1), null, run);
      buf.lockNode(start, run);
      node = buf.put('x', x, start, run.addStage().increase(digit));
      buf.lockNode(node, run.addStage().increase(digit));
    }
    expect(show(buf, buf.extractPatterns(node!, run.addStage().increase(5)))).toEqual(['s=q x=x', 's=p x=x', 's=r x=x']);
    expect(show(buf, buf.extractPatterns(node!, run.addStage().increase(1)))).toEqual(['s=q x=x', 's=p x=x']);
  });
});
