/**
 * NFA-level test harness, after Flink's NFATestHarness / NFATestUtilities: each record is fed as
 * `advanceTime(ts)` then `process(event, ts)`, in list order (no sorting), and matches are compared as
 * multisets of event lists (the events of each match flattened and sorted by id).
 */
import { expect } from 'vitest';
import { NFA, type NFAState, type PatternMatch } from '../../lib/cep/nfa/nfa.ts';
import type { Pattern } from '../../lib/cep/pattern.ts';
import { AfterMatchSkipStrategy } from '../../lib/cep/aftermatch/after-match-skip-strategy.ts';

/** Flink's test Event (id, name, price); SubEvent adds volume. */
export class Event {
  constructor(
    readonly id: number,
    readonly name: string,
    readonly price: number,
  ) {}
  getId(): number {
    return this.id;
  }
  getName(): string {
    return this.name;
  }
  getPrice(): number {
    return this.price;
  }
  toString(): string {
    return `Event(${this.id}, ${this.name}, ${this.price})`;
  }
}

export class SubEvent extends Event {
  constructor(
    id: number,
    name: string,
    price: number,
    readonly volume: number,
  ) {
    super(id, name, price);
  }
  getVolume(): number {
    return this.volume;
  }
  override toString(): string {
    return `SubEvent(${this.id}, ${this.name}, ${this.price}, ${this.volume})`;
  }
}

export const isSubEvent = (e: Event): e is SubEvent => e instanceof SubEvent;

/** A record for the harness: the event and its timestamp. */
export type Rec<T> = readonly [T, number];
/** Records with timestamps 1, 2, 3, ... in list order (Flink tests often use the list index). */
export const inOrder = <T>(...events: T[]): Array<Rec<T>> => events.map((e, i) => [e, i + 1] as const);

export class NFATestHarness<T> {
  readonly nfa: NFA<T>;
  readonly state: NFAState<T>;
  /** Timed-out partial matches seen so far (with timeout handling on). */
  readonly timedOut: Array<{ match: PatternMatch<T>; timestamp: number }> = [];

  private constructor(
    pattern: Pattern<T, string>,
    private readonly skip: AfterMatchSkipStrategy,
    timeoutHandling: boolean,
  ) {
    this.nfa = NFA.compile(pattern, timeoutHandling);
    this.state = this.nfa.createInitialNFAState();
  }

  /** `skip` overrides the pattern's own AfterMatchSkipStrategy (as Flink's harness can). */
  static forPattern<T>(pattern: Pattern<T, string>, options: { skip?: AfterMatchSkipStrategy; timeoutHandling?: boolean } = {}): NFATestHarness<T> {
    return new NFATestHarness<T>(pattern, options.skip ?? pattern.getAfterMatchSkipStrategy(), options.timeoutHandling ?? false);
  }

  /** advanceTime(ts) then process(event, ts); returns the matches of both. */
  feedRecord(event: T, timestamp: number): Array<PatternMatch<T>> {
    const adv = this.nfa.advanceTime(this.state, timestamp, this.skip);
    this.timedOut.push(...adv.timedOut);
    return [...adv.matches, ...this.nfa.process(this.state, event, timestamp, this.skip)];
  }

  feedRecords(records: ReadonlyArray<Rec<T>>): Array<PatternMatch<T>> {
    return records.flatMap(([e, ts]) => this.feedRecord(e, ts));
  }

  /** process alone, without advanceTime first (Flink tests that call nfa.process directly). */
  process(event: T, timestamp: number): Array<PatternMatch<T>> {
    return this.nfa.process(this.state, event, timestamp, this.skip);
  }

  /** advanceTime alone (pending notFollowedBy matches and timeouts). */
  advanceTime(timestamp: number): Array<PatternMatch<T>> {
    const adv = this.nfa.advanceTime(this.state, timestamp, this.skip);
    this.timedOut.push(...adv.timedOut);
    return adv.matches;
  }
}

/** Feeds `records` through a fresh NFA for `pattern` and returns every match. */
export function feedNFA<T>(pattern: Pattern<T, string>, records: ReadonlyArray<Rec<T>>, skip?: AfterMatchSkipStrategy): Array<PatternMatch<T>> {
  return NFATestHarness.forPattern(pattern, { skip }).feedRecords(records);
}

const idOf = (e: unknown): number => (e as { id: number }).id;

/** The events of a match, all stages flattened, sorted by id. */
export function flatten<T>(match: PatternMatch<T>): T[] {
  return [...match.values()].flat().sort((a, b) => idOf(a) - idOf(b));
}

/** Flink's comparePatterns: the same multiset of matches, each compared as its sorted event list. */
export function comparePatterns<T>(actual: Array<PatternMatch<T>>, expected: T[][]): void {
  const key = (events: T[]): string => events.map((e) => String(e)).join(' ');
  const a = actual.map((m) => key(flatten(m))).sort();
  const e = expected.map((ev) => key([...ev].sort((x, y) => idOf(x) - idOf(y)))).sort();
  expect(a).toEqual(e);
}

/** A match as a plain object stage -> event ids (keeps stage order), for exact assertions. */
export function asIds<T>(match: PatternMatch<T>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, v] of match) out[k] = v.map(idOf);
  return out;
}
