/**
 * Prints records to stdout or stderr (Flink's PrintSink). With parallelism > 1 each line starts with
 * the 1-based subtask, `2> (flink,2)`; an identifier adds a prefix, `counts:2> (flink,2)`. Tuples
 * (arrays) print as `(a,b)`. Lines are written once per batch, and the sink waits when the stream
 * is full, so a slow terminal slows the job instead of filling memory. When the job fails or is
 * canceled, the lines of records it had accepted are still printed (close writes the buffer).
 */
import type { Sink, SinkWriter, SinkWriterContext } from '../../lib/core/connector/sink.ts';
import { formatRecord } from '../../lib/core/format.ts';

export class PrintSink<T> implements Sink<T> {
  constructor(
    private readonly sinkIdentifier = '',
    private readonly stdErr = false,
  ) {}

  createWriter(context: SinkWriterContext): SinkWriter<T> {
    const stream = this.stdErr ? process.stderr : process.stdout;
    const parallel = context.currentParallelism() > 1;
    const id = this.sinkIdentifier;
    const task = context.getIndexOfSubtask() + 1;
    const prefix = id !== '' ? (parallel ? `${id}:${task}> ` : `${id}> `) : parallel ? `${task}> ` : '';
    let buffer = '';
    let drain: Promise<void> | null = null;
    return {
      write(element: T) {
        buffer += prefix + formatRecord(element) + '\n';
      },
      flush() {
        if (buffer === '') return;
        const ok = stream.write(buffer);
        buffer = '';
        if (!ok && drain === null) {
          drain = new Promise<void>((resolve) => stream.once('drain', () => {
            drain = null;
            resolve();
          }));
        }
      },
      isAvailable: () => drain,
      // Also after a failure or cancel: the records accepted so far are printed (at least once).
      close() {
        if (buffer === '') return;
        const rest = buffer;
        buffer = '';
        return new Promise<void>((resolve) => stream.write(rest, () => resolve()));
      },
    };
  }
}
