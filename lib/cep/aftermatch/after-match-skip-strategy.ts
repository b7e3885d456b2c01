/**
 * What happens to other partial matches after a match is emitted (Flink's AfterMatchSkipStrategy).
 * ```ts
 * Pattern.begin<Txn>('start', AfterMatchSkipStrategy.skipPastLastEvent())
 * ```
 */
export type SkipKind = 'NO_SKIP' | 'SKIP_TO_NEXT' | 'SKIP_PAST_LAST_EVENT' | 'SKIP_TO_FIRST' | 'SKIP_TO_LAST';

export class AfterMatchSkipStrategy {
  private constructor(
    readonly kind: SkipKind,
    /** The stage name, for skipToFirst / skipToLast. */
    readonly patternName?: string,
    /** skipToFirst/skipToLast: throw when the named stage has no event in the match, or when skipping would land on the match's own first event. Off by default (skip nothing), as in Flink. */
    readonly throwsOnMiss = false,
  ) {}
  /** Every partial match survives: all overlapping matches are emitted. */
  static noSkip(): AfterMatchSkipStrategy {
    return new AfterMatchSkipStrategy('NO_SKIP');
  }
  /** Drops partial matches that started with the same event as the emitted match. */
  static skipToNext(): AfterMatchSkipStrategy {
    return new AfterMatchSkipStrategy('SKIP_TO_NEXT');
  }
  /** Drops every partial match that started before the emitted match ended. */
  static skipPastLastEvent(): AfterMatchSkipStrategy {
    return new AfterMatchSkipStrategy('SKIP_PAST_LAST_EVENT');
  }
  /** Drops partial matches that started before the first event of stage `name` in the emitted match. */
  static skipToFirst(name: string): AfterMatchSkipStrategy {
    return new AfterMatchSkipStrategy('SKIP_TO_FIRST', checkName(name));
  }
  /** Drops partial matches that started before the last event of stage `name` in the emitted match. */
  static skipToLast(name: string): AfterMatchSkipStrategy {
    return new AfterMatchSkipStrategy('SKIP_TO_LAST', checkName(name));
  }
  /**
   * skipToFirst/skipToLast only: fail the job when the named stage has no event in a match or the skip
   * would land on the match's own first event (by default such a match skips nothing, as in Flink).
   */
  throwExceptionOnMiss(): AfterMatchSkipStrategy {
    if (this.patternName === undefined) throw new Error(`throwExceptionOnMiss applies to skipToFirst/skipToLast, not ${this.kind}`);
    return new AfterMatchSkipStrategy(this.kind, this.patternName, true);
  }
  /** Whether other partial matches are ever pruned (every strategy but noSkip). */
  isSkipStrategy(): boolean {
    return this.kind !== 'NO_SKIP';
  }
  toString(): string {
    return this.patternName === undefined ? this.kind : `${this.kind}{${this.patternName}}`;
  }
}

function checkName(name: string): string {
  if (typeof name !== 'string' || name === '') throw new TypeError('The skip strategy needs the name of a pattern stage');
  return name;
}
