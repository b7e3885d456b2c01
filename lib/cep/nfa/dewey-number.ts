/**
 * Versions of partial matches in the shared buffer (Flink's DeweyNumber). A run starts as `n`; each
 * branching adds a stage (`1.0`), each further branch of a stage increases the last digit (`1.1`). An
 * edge stored under version `v` belongs to a partial match with version `w` when `w` is compatible
 * with `v`: `w` extends `v` (a prefix), or has the same length, the same leading digits and a last
 * digit >= `v`'s.
 */
export class DeweyNumber {
  private constructor(private readonly digits: readonly number[]) {}

  static of(start: number): DeweyNumber {
    return new DeweyNumber([start]);
  }

  /** Parses `1.0.2`. */
  static fromString(text: string): DeweyNumber {
    const parts = text.split('.');
    if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p))) throw new Error(`Invalid Dewey number '${text}'`);
    return new DeweyNumber(parts.map(Number));
  }

  isCompatibleWith(other: DeweyNumber): boolean {
    const a = this.digits;
    const b = other.digits;
    if (a.length > b.length) {
      for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return false;
      return true;
    }
    if (a.length === b.length) {
      const last = a.length - 1;
      for (let i = 0; i < last; i++) if (a[i] !== b[i]) return false;
      return a[last]! >= b[last]!;
    }
    return false;
  }

  /** The run (first digit). */
  getRun(): number {
    return this.digits[0]!;
  }

  length(): number {
    return this.digits.length;
  }

  /** The same version with its last digit increased by `times` (this very number when `times` is 0: versions are immutable). */
  increase(times = 1): DeweyNumber {
    if (times === 0) return this;
    const d = this.digits.slice();
    d[d.length - 1]! += times;
    return new DeweyNumber(d);
  }

  /** A new stage: the version followed by 0. */
  addStage(): DeweyNumber {
    const a = this.digits;
    const n = a.length;
    const d: number[] = new Array(n + 1);
    for (let i = 0; i < n; i++) d[i] = a[i]!;
    d[n] = 0;
    return new DeweyNumber(d);
  }

  equals(other: DeweyNumber): boolean {
    return this.digits.length === other.digits.length && this.digits.every((d, i) => d === other.digits[i]);
  }

  toString(): string {
    return this.digits.join('.');
  }
}
