/** Accumulators across threads (after Flink's AccumulatorHelper). */
import type { Accumulator } from './accumulator.ts';
import { DoubleCounter, IntCounter, LongCounter } from './counters.ts';
import { ListAccumulator } from './list-accumulator.ts';

/** Rebuilds a built-in accumulator from its kind and local value (for results from worker threads). */
export function accumulatorFromValue(kind: string, value: unknown): Accumulator<unknown, unknown> {
  let acc: Accumulator<unknown, unknown>;
  switch (kind) {
    case 'IntCounter':
      acc = new IntCounter() as Accumulator<unknown, unknown>;
      break;
    case 'LongCounter':
      acc = new LongCounter() as Accumulator<unknown, unknown>;
      break;
    case 'DoubleCounter':
      acc = new DoubleCounter() as Accumulator<unknown, unknown>;
      break;
    case 'ListAccumulator':
      acc = new ListAccumulator<unknown>() as Accumulator<unknown, unknown>;
      break;
    default:
      throw new Error(`Accumulator kind '${kind}' cannot cross threads; use IntCounter, LongCounter, DoubleCounter or ListAccumulator`);
  }
  acc.merge({ kind, getLocalValue: () => value } as Accumulator<unknown, unknown>);
  return acc;
}
