/**
 * Lifecycle hooks and the runtime context for user functions (Flink's RichFunction and
 * AbstractRichFunction): every API method that takes a function accepts either a plain function or
 * an object implementing the interface; objects that extend `AbstractRichFunction` also get
 * `open`/`close` and a `RuntimeContext`.
 */
import type { RuntimeContext } from './runtime-context.ts';
import { IllegalStateException } from '../errors.ts';

/** Given to `open` (Flink 1.19+'s OpenContext); empty for now, kept for forward compatibility. */
export interface OpenContext {}

export interface RichFunction {
  open?(context: OpenContext): void;
  close?(): void;
  setRuntimeContext?(context: RuntimeContext): void;
}

/**
 * Base class for functions that need lifecycle hooks or the runtime context.
 * ```ts
 * class Tagger extends RichMapFunction<string, string> {
 *   map(v: string) { return `${this.getRuntimeContext().getIndexOfThisSubtask()}:${v}`; }
 * }
 * ```
 */
export abstract class AbstractRichFunction implements RichFunction {
  private runtimeContext: RuntimeContext | undefined;
  open(_context: OpenContext): void {}
  close(): void {}
  setRuntimeContext(context: RuntimeContext): void {
    this.runtimeContext = context;
  }
  getRuntimeContext(): RuntimeContext {
    if (this.runtimeContext === undefined) {
      throw new IllegalStateException('The runtime context has not been initialized: it is available from open() on.');
    }
    return this.runtimeContext;
  }
}

