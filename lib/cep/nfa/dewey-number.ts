/** Interned versions (see DeweyNumber.short): first digit below D0, the others below D12. */
const D0 = 512;
const D12 = 8;
const INTERNED = D0 + D0 * D12 + D0 * D12 * D12;
/** The digits after the third of a four-digit version ending in 0 (shared: `rest` is never changed in place). */
const REST_ZERO: readonly number[] = [0];

/**
 * Versions of partial matches in the shared buffer (Flink's DeweyNumber). A run starts as `n`; each
 * branching adds a stage (`1.0`), each further branch of a stage increases the last digit (`1.1`). An
 * edge stored under version `v` belongs to a partial match with version `w` when `w` is compatible
 * with `v`: `w` extends `v` (a prefix), or has the same length, the same leading digits and a last
 * digit >= `v`'s.
 *
 * One object per version: the first three digits are fields, the rest (deep loops only) an array.
 * Versions are made for most partial matches and live as long as they do, and compared on every
 * lock and release in the shared buffer: a digits array per version doubled the objects (and the
 * garbage collector's work) and added a hop per comparison.
 */
export class DeweyNumber {
  private constructor(
    /** Number of digits (>= 1). */
    private readonly len: number,
    private readonly d0: number,
    private readonly d1: number,
    private readonly d2: number,
    /** Digits from the fourth on; null while there are at most three. */
    private readonly rest: readonly number[] | null,
  ) {}

  /**
   * Versions are immutable and compared by value, and most are short with small digits (run numbers
   * restart with each key's NFA state): those are made once, in a table, and shared. A partial match
   * made a version or two per taken event, each living as long as the partial match.
   */
  private static readonly interned: Array<DeweyNumber | undefined> = new Array<DeweyNumber | undefined>(INTERNED).fill(undefined);
  /**
   * Four-digit versions d0.d1.d2.0, what addStage makes of a three-digit one (the partial match that
   * takes a pattern's fourth stage, or completes a three-stage pattern): same digit bounds.
   */
  private static readonly interned4: Array<DeweyNumber | undefined> = new Array<DeweyNumber | undefined>(D0 * D12 * D12).fill(undefined);

  /** The version with `len` (1..3) digits d0[.d1[.d2]] (unused digits 0). */
  private static short(len: number, d0: number, d1: number, d2: number): DeweyNumber {
    if (d0 >= 0 && d0 < D0 && d1 >= 0 && d1 < D12 && d2 >= 0 && d2 < D12) {
      // Slots: len 1 at [0, D0), len 2 after them, len 3 after those.
      const i = len === 1 ? d0 : len === 2 ? D0 + d0 * D12 + d1 : D0 + D0 * D12 + (d0 * D12 + d1) * D12 + d2;
      return (DeweyNumber.interned[i] ??= new DeweyNumber(len, d0, d1, d2, null));
    }
    return new DeweyNumber(len, d0, d1, d2, null);
  }

  static of(start: number): DeweyNumber {
    return DeweyNumber.short(1, start, 0, 0);
  }

  /** Parses `1.0.2`. */
  static fromString(text: string): DeweyNumber {
    const parts = text.split('.');
    if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p))) throw new Error(`Invalid Dewey number '${text}'`);
    return DeweyNumber.fromDigits(parts.map(Number));
  }

  private static fromDigits(d: readonly number[]): DeweyNumber {
    if (d.length <= 3) return DeweyNumber.short(d.length, d[0]!, d.length > 1 ? d[1]! : 0, d.length > 2 ? d[2]! : 0);
    return new DeweyNumber(d.length, d[0]!, d[1]!, d[2]!, d.slice(3));
  }

  private digits(): number[] {
    const d = [this.d0, this.d1, this.d2].slice(0, Math.min(this.len, 3));
    if (this.rest !== null) for (const x of this.rest) d.push(x);
    return d;
  }

  isCompatibleWith(other: DeweyNumber): boolean {
    const n = this.len;
    const m = other.len;
    if (n > m) {
      // `other` must be a prefix of this (m >= 1).
      if (this.d0 !== other.d0) return false;
      if (m === 1) return true;
      if (this.d1 !== other.d1) return false;
      if (m === 2) return true;
      if (this.d2 !== other.d2) return false;
      const a = this.rest!;
      const b = other.rest;
      for (let i = 0; i < m - 3; i++) if (a[i] !== b![i]) return false;
      return true;
    }
    if (n === m) {
      // Same leading digits, last digit >= other's.
      if (n === 1) return this.d0 >= other.d0;
      if (this.d0 !== other.d0) return false;
      if (n === 2) return this.d1 >= other.d1;
      if (this.d1 !== other.d1) return false;
      if (n === 3) return this.d2 >= other.d2;
      if (this.d2 !== other.d2) return false;
      const a = this.rest!;
      const b = other.rest!;
      const last = n - 4;
      for (let i = 0; i < last; i++) if (a[i] !== b[i]) return false;
      return a[last]! >= b[last]!;
    }
    return false;
  }

  /** The run (first digit). */
  getRun(): number {
    return this.d0;
  }

  length(): number {
    return this.len;
  }

  /** The same version with its last digit increased by `times` (this very number when `times` is 0: versions are immutable). */
  increase(times = 1): DeweyNumber {
    if (times === 0) return this;
    switch (this.len) {
      case 1:
        return DeweyNumber.short(1, this.d0 + times, 0, 0);
      case 2:
        return DeweyNumber.short(2, this.d0, this.d1 + times, 0);
      case 3:
        return DeweyNumber.short(3, this.d0, this.d1, this.d2 + times);
      default: {
        const r = this.rest!.slice();
        r[r.length - 1]! += times;
        return new DeweyNumber(this.len, this.d0, this.d1, this.d2, r);
      }
    }
  }

  /** A new stage: the version followed by 0. */
  addStage(): DeweyNumber {
    switch (this.len) {
      case 1:
        return DeweyNumber.short(2, this.d0, 0, 0);
      case 2:
        return DeweyNumber.short(3, this.d0, this.d1, 0);
      case 3: {
        const { d0, d1, d2 } = this;
        if (d0 >= 0 && d0 < D0 && d1 >= 0 && d1 < D12 && d2 >= 0 && d2 < D12) {
          return (DeweyNumber.interned4[(d0 * D12 + d1) * D12 + d2] ??= new DeweyNumber(4, d0, d1, d2, REST_ZERO));
        }
        return new DeweyNumber(4, d0, d1, d2, [0]);
      }
      default: {
        const r = this.rest!.slice();
        r.push(0);
        return new DeweyNumber(this.len + 1, this.d0, this.d1, this.d2, r);
      }
    }
  }

  equals(other: DeweyNumber): boolean {
    if (this.len !== other.len || this.d0 !== other.d0 || this.d1 !== other.d1 || this.d2 !== other.d2) return false;
    if (this.rest === null) return true;
    const b = other.rest!;
    return this.rest.every((d, i) => d === b[i]);
  }

  toString(): string {
    return this.digits().join('.');
  }
}

