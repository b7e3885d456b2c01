/** A text file's reader as the source operator drives it, for tests that snapshot and restore it by hand. */
import { TextLineSource } from '../../connectors/file/index.ts';
import type { ReaderOutput, SourceReader, SourceSplit } from '../../lib/core/connector/source.ts';

/** Subtask 0 of 1 reading `path`, from `restoredSplits` when given. */
export function textLineReader(path: string, restoredSplits?: readonly SourceSplit[]): SourceReader<string> {
  return new TextLineSource(path).createReader({ operatorName: 'lines', getIndexOfSubtask: () => 0, currentParallelism: () => 1, restoredSplits });
}

/** Reads `n` lines (or all), then returns them. */
export async function readLines(r: SourceReader<string>, n = Number.POSITIVE_INFINITY): Promise<string[]> {
  const out: string[] = [];
  const output: ReaderOutput<string> = { collect: (l) => void out.push(l) };
  while (out.length < n) {
    const s = r.pollNext(output);
    if (s === 'END_OF_INPUT') break;
    if (s === 'NOTHING_AVAILABLE') await r.isAvailable();
  }
  return out;
}
