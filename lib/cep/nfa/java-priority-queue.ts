/**
 * java.util.PriorityQueue (Java 17) with a comparator, ported algorithm for algorithm: Flink's NFA
 * keeps partial and completed matches in PriorityQueues, and elements that tie under the
 * comparator come out of `poll()` and iteration in the binary heap's own order (not insertion
 * order). Which of two tied matches a skip strategy keeps depends on that order, so matching
 * Flink exactly needs the same heap: offer = siftUpUsingComparator, poll = siftDownUsingComparator,
 * remove(o) = removeAt, removeIf / removeAll = bulkRemove + heapify, iteration = array order.
 * Elements are compared by identity where Java uses equals() (contains, remove(o)).
 */
export class JavaPriorityQueue<E> implements Iterable<E> {
  /** The heap: queue[0..size-1]; the children of k are 2k+1 and 2k+2. */
  private readonly queue: Array<E | undefined> = [];
  private n = 0;

  constructor(private readonly comparator: (a: E, b: E) => number) {}

  get size(): number {
    return this.n;
  }
  isEmpty(): boolean {
    return this.n === 0;
  }

  /** The `i`-th element in iteration (array) order, for loops that must not allocate an iterator. */
  elementAt(i: number): E {
    return this.queue[i] as E;
  }

  /** Java's add/offer. */
  offer(e: E): void {
    const k = this.n;
    this.n = k + 1;
    this.siftUp(k, e);
  }

  peek(): E | undefined {
    return this.n === 0 ? undefined : this.queue[0];
  }

  poll(): E | undefined {
    if (this.n === 0) return undefined;
    const es = this.queue;
    const result = es[0] as E;
    const n = --this.n;
    const x = es[n] as E;
    es[n] = undefined;
    if (n > 0) this.siftDown(0, x, n);
    return result;
  }

  indexOf(o: E): number {
    const es = this.queue;
    for (let i = 0; i < this.n; i++) if (es[i] === o) return i;
    return -1;
  }
  contains(o: E): boolean {
    return this.indexOf(o) >= 0;
  }
  /** Java's remove(Object): the first occurrence in array order, by removeAt. */
  remove(o: E): boolean {
    const i = this.indexOf(o);
    if (i < 0) return false;
    this.removeAt(i);
    return true;
  }

  /** Java's removeAt: the last element moves into the hole, sifted down, else up. */
  removeAt(i: number): void {
    const es = this.queue;
    const s = --this.n;
    if (s === i) {
      es[i] = undefined;
    } else {
      const moved = es[s] as E;
      es[s] = undefined;
      this.siftDown(i, moved, s);
      if (es[i] === moved) this.siftUp(i, moved);
    }
  }

  /**
   * Java's removeIf (and removeAll, which is removeIf(c::contains)): bulkRemove keeps the survivors
   * in array order, then heapify(). `filter` sees each element once, in array order; it is a plain
   * function with its arguments passed through, so a caller needs no closure.
   */
  removeIf<A, B>(filter: (e: E, a: A, b: B) => boolean, a: A, b: B): boolean {
    const es = this.queue;
    const end = this.n;
    let i = 0;
    while (i < end && !filter(es[i] as E, a, b)) i++;
    if (i >= end) return false;
    // The first dead element is at `i`; the others are tested once, then survivors compacted.
    const beg = i;
    const dead: boolean[] = [true];
    for (i = beg + 1; i < end; i++) dead[i - beg] = filter(es[i] as E, a, b);
    let w = beg;
    for (i = beg; i < end; i++) if (dead[i - beg] !== true) es[w++] = es[i];
    for (i = w; i < end; i++) es[i] = undefined;
    this.n = w;
    this.heapify();
    return true;
  }

  /** Gives up array slots beyond max(size, capacity): a queue kept for reuse keeps no burst's room. */
  trimTo(capacity: number): void {
    const es = this.queue;
    const keep = Math.max(this.n, capacity);
    if (es.length > keep) es.length = keep;
  }

  clear(): void {
    const es = this.queue;
    for (let i = 0; i < this.n; i++) es[i] = undefined;
    this.n = 0;
  }

  /** The elements in iteration (array) order. */
  toArray(): E[] {
    return this.queue.slice(0, this.n) as E[];
  }

  *[Symbol.iterator](): Iterator<E> {
    for (let i = 0; i < this.n; i++) yield this.queue[i] as E;
  }

  // ---- Java 17's siftUpUsingComparator / siftDownUsingComparator / heapify ------------------------

  private siftUp(k: number, x: E): void {
    const es = this.queue;
    const cmp = this.comparator;
    while (k > 0) {
      const parent = (k - 1) >>> 1;
      const e = es[parent] as E;
      if (cmp(x, e) >= 0) break;
      es[k] = e;
      k = parent;
    }
    es[k] = x;
  }

  /** Sifts `x` down from `k` in a heap of `n` elements. */
  private siftDown(k: number, x: E, n: number): void {
    const es = this.queue;
    const cmp = this.comparator;
    const half = n >>> 1;
    while (k < half) {
      let child = (k << 1) + 1;
      let c = es[child] as E;
      const right = child + 1;
      if (right < n && cmp(c, es[right] as E) > 0) c = es[(child = right)] as E;
      if (cmp(x, c) <= 0) break;
      es[k] = c;
      k = child;
    }
    es[k] = x;
  }

  private heapify(): void {
    const es = this.queue;
    const n = this.n;
    for (let i = (n >>> 1) - 1; i >= 0; i--) this.siftDown(i, es[i] as E, n);
  }
}
