/**
 * Two inputs as one stream of tagged records (Flink's TaggedUnion): connected streams, broadcast
 * connections and joins union both inputs, each record tagged with the input it came from, so one
 * operator sees both with the combined watermark of both inputs' channels.
 */
export interface Tagged {
  readonly i: 1 | 2;
  readonly v: unknown;
}
