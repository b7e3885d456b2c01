/**
 * Property tests of CEP against brute-force reference enumerations: for random event sequences,
 * the matches of next / followedBy / followedByAny chains (with and without within) equal the
 * reference, in the NFA and through the operator at parallelism 1..4.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { CollectionSource } from '../../connectors/collection/index.ts';
import { StreamExecutionEnvironment, WatermarkStrategy } from '../../lib/index.ts';
import { AfterMatchSkipStrategy, CEP, Pattern } from '../../lib/api/cep/index.ts';
import { NFA } from '../../lib/cep/nfa/nfa.ts';
import { restoreNFAState, snapshotNFAState } from '../../lib/cep/nfa/nfa-state-snapshot.ts';
import { NFATestHarness } from './harness.ts';

interface Ev {
  readonly id: number;
  readonly key: number;
  readonly letter: string;
  readonly ts: number;
}

type Link = 'next' | 'followedBy' | 'followedByAny';

/** A chain of single stages s0..sk on letters, all linked the same way. */
function chain(letters: readonly string[], link: Link, within?: number): Pattern<Ev, string> {
  let p = Pattern.begin<Ev>('s0').where((e) => e.letter === letters[0]);
  for (let i = 1; i < letters.length; i++) {
    const l = letters[i]!;
    p = p[link](`s${i}`).where((e) => e.letter === l);
  }
  return within === undefined ? p : p.within(within);
}

/** Reference matches (as id lists) of a chain over one key's events in timestamp order. */
function reference(events: readonly Ev[], letters: readonly string[], link: Link, within?: number): string[] {
  const out: string[] = [];
  const k = letters.length;
  const inWindow = (first: Ev, last: Ev) => within === undefined || last.ts - first.ts < within;
  for (let i = 0; i < events.length; i++) {
    if (events[i]!.letter !== letters[0]) continue;
    if (link === 'next') {
      // Strict: the k events starting at i.
      if (i + k > events.length) continue;
      let ok = true;
      for (let j = 1; j < k; j++) if (events[i + j]!.letter !== letters[j]) ok = false;
      if (ok && inWindow(events[i]!, events[i + k - 1]!)) out.push(events.slice(i, i + k).map((e) => e.id).join(','));
    } else if (link === 'followedBy') {
      // Skip till next: each stage takes the first matching event after the previous one.
      const picked = [i];
      for (let j = 1; j < k && picked.length === j; j++) {
        for (let x = picked[j - 1]! + 1; x < events.length; x++) {
          if (events[x]!.letter === letters[j]) {
            picked.push(x);
            break;
          }
        }
      }
      if (picked.length === k && inWindow(events[i]!, events[picked[k - 1]!]!)) out.push(picked.map((x) => events[x]!.id).join(','));
    } else {
      // Skip till any: every increasing choice of matching events.
      const rec = (picked: number[]): void => {
        if (picked.length === k) {
          if (inWindow(events[picked[0]!]!, events[picked[k - 1]!]!)) out.push(picked.map((x) => events[x]!.id).join(','));
          return;
        }
        for (let x = picked[picked.length - 1]! + 1; x < events.length; x++) if (events[x]!.letter === letters[picked.length]) rec([...picked, x]);
      };
      rec([i]);
    }
  }
  return out;
}

const letters = fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 4 });
const link = fc.constantFrom<Link>('next', 'followedBy', 'followedByAny');
const within = fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined });
/** Events with strictly increasing timestamps (gaps 1..5) over a few keys. */
const events = fc
  .array(fc.record({ key: fc.integer({ min: 0, max: 3 }), letter: fc.constantFrom('a', 'b', 'c', 'x'), gap: fc.integer({ min: 1, max: 5 }) }), { maxLength: 30 })
  .map((raw) => {
    let ts = 0;
    return raw.map((r, id): Ev => ({ id, key: r.key, letter: r.letter, ts: (ts += r.gap) }));
  });

const ids = (m: Map<string, Ev[]> | Record<string, Ev[]>): string =>
  (m instanceof Map ? [...m.values()] : Object.values(m))
    .flat()
    .map((e) => e.id)
    .join(',');

describe('CEP properties', () => {
  test('NFA: next / followedBy / followedByAny chains (with or without within) match the brute-force reference', () => {
    fc.assert(
      fc.property(letters, link, within, events, (ls, l, w, evs) => {
        const single = evs.filter((e) => e.key === 0);
        const h = NFATestHarness.forPattern(chain(ls, l, w));
        const got = h.feedRecords(single.map((e) => [e, e.ts] as const)).map(ids);
        got.push(...h.advanceTime(Number.MAX_SAFE_INTEGER).map(ids));
        expect(got.sort()).toEqual(reference(single, ls, l, w).sort());
      }),
      { numRuns: 500 },
    );
  });

  test('operator: keyed event-time matches equal the per-key reference at parallelism 1..4', async () => {
    await fc.assert(
      fc.asyncProperty(letters, link, within, events, fc.integer({ min: 1, max: 4 }), async (ls, l, w, evs, p) => {
        const env = StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });
        const stream = env.fromSource(new CollectionSource(evs), WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts), 'events');
        const got = await CEP.pattern(stream.keyBy((e) => e.key), chain(ls, l, w))
          .select((m) => `${Object.values(m).flat()[0]!.key}:${ids(m)}`)
          .executeAndCollect();
        const expected = [0, 1, 2, 3].flatMap((k) => reference(evs.filter((e) => e.key === k), ls, l, w).map((m) => `${k}:${m}`));
        expect(got.sort()).toEqual(expected.sort());
      }),
      { numRuns: 60 },
    );
  });

  test('a key state snapshotted as JSON mid-stream and restored continues exactly as the original (matches, timeouts, what is held)', () => {
    const skips = [AfterMatchSkipStrategy.noSkip(), AfterMatchSkipStrategy.skipToNext(), AfterMatchSkipStrategy.skipPastLastEvent()];
    fc.assert(
      fc.property(letters, link, within, fc.boolean(), fc.integer({ min: 0, max: 2 }), events, fc.nat(), (ls, l, w, loop, skipIx, evs, cut) => {
        let p = Pattern.begin<Ev>('s0', skips[skipIx]).where((e) => e.letter === ls[0]);
        if (loop) p = p.oneOrMore();
        for (let i = 1; i < ls.length; i++) p = p[l](`s${i}`).where((e) => e.letter === ls[i]);
        if (w !== undefined) p = p.within(w);
        const skip = p.getAfterMatchSkipStrategy();
        const run = (nfa: NFA<Ev>, state: ReturnType<NFA<Ev>['createInitialNFAState']>, part: readonly Ev[], out: string[]) => {
          for (const e of part) {
            const adv = nfa.advanceTime(state, e.ts, skip);
            out.push(...adv.matches.map((m) => `m ${ids(m)}`), ...adv.timedOut.map((t) => `t ${ids(t.match)}@${t.timestamp}`));
            out.push(...nfa.process(state, e, e.ts, skip).map((m) => `m ${ids(m)}`));
          }
        };
        const split = evs.length === 0 ? 0 : cut % (evs.length + 1);
        // Uninterrupted.
        const a = NFA.compile(p, true);
        const sa = a.createInitialNFAState();
        const outA: string[] = [];
        run(a, sa, evs, outA);
        // Snapshot after `split` events, through JSON, into a freshly compiled NFA.
        const b = NFA.compile(p, true);
        const sb = b.createInitialNFAState();
        const outB: string[] = [];
        run(b, sb, evs.slice(0, split), outB);
        const json = JSON.parse(JSON.stringify(snapshotNFAState(sb))) as ReturnType<typeof snapshotNFAState<Ev>>;
        const c = NFA.compile(p, true);
        const sc = restoreNFAState(json, c.getStates());
        run(c, sc, evs.slice(split), outB);
        expect(outB).toEqual(outA);
        expect([sc.numPartialMatches(), sc.sharedBuffer.numEvents(), sc.sharedBuffer.numNodes(), sc.isEmpty()]).toEqual([
          sa.numPartialMatches(),
          sa.sharedBuffer.numEvents(),
          sa.sharedBuffer.numNodes(),
          sa.isEmpty(),
        ]);
      }),
      { numRuns: 300 },
    );
  });
});
