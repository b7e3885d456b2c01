/**
 * How a state value is written into a checkpoint and read back (Flink's TypeSerializer, in brief).
 * Checkpoints serialize state with the structured clone algorithm (v8.serialize): plain objects,
 * arrays, Maps, Sets, Dates, typed arrays and primitives come back as they were, but a class
 * instance comes back as a plain object without its prototype (its methods are gone), and a
 * function cannot be written at all. A descriptor that carries a serializer turns its values into
 * such plain data at a checkpoint and back on restore:
 * ```ts
 * const point = new ValueStateDescriptor<Point>('last').withSerializer({
 *   serialize: (p) => [p.x, p.y],
 *   deserialize: (d) => { const [x, y] = d as [number, number]; return new Point(x, y); },
 * });
 * ```
 */
export interface TypeSerializer<T> {
  /** Plain data that structured clone can carry (numbers, strings, arrays, plain objects, ...). */
  serialize(value: T): unknown;
  /** The value back from what `serialize` returned. */
  deserialize(serialized: unknown): T;
}
