/**
 * Names a side output (Flink's OutputTag): a second stream an operator can emit to, read with
 * `getSideOutput(tag)`.
 * ```ts
 * const rejected = new OutputTag<string>('rejected');
 * const ok = lines.process((line, ctx, out) => (line ? out.collect(line) : ctx.output(rejected, line)));
 * ok.getSideOutput(rejected).print();
 * ```
 */
export class OutputTag<T> {
  declare private readonly _type: T;
  constructor(readonly id: string) {
    if (typeof id !== 'string' || id === '') throw new TypeError('An OutputTag needs a non-empty id');
  }
  toString(): string {
    return `OutputTag(${this.id})`;
  }
}
