/**
 * SourceStreamTask (Flink's name): a task whose head is a source. Its default action polls the
 * source reader, at most a batch per step; timestamps and watermarks generated in the source
 * (fromSource with a strategy) go through SourceWatermarks.
 */
import type { ReaderOutput, SourceReader } from '../../core/connector/source.ts';
import { attribute } from '../../core/errors.ts';
import { MAX_WATERMARK, NO_TIMESTAMP, type CheckpointBarrier } from '../elements.ts';
import type { Output } from '../operator.ts';
import type { JobVertex, StreamNode } from '../graph/job-graph.ts';
import { SourceWatermarks } from '../source-watermarks.ts';
import { BATCH_SIZE } from '../io/record-writer.ts';
import { StreamTask, type TaskServices, type WiredOutput } from './stream-task.ts';

/** A task whose head is a source: polls the reader, at most a batch per step. */
export class SourceStreamTask extends StreamTask implements ReaderOutput<unknown> {
  private reader!: SourceReader<unknown>;
  private available = true;
  private emitted = 0;
  private readonly sourceNode: StreamNode;

  /** Set when the source generates timestamps and watermarks itself (fromSource with a strategy). */
  private readonly watermarks: SourceWatermarks | undefined;
  private readonly mainOutput: { collect(record: unknown, timestamp?: number): void } | undefined;

  constructor(vertex: JobVertex, subtaskIndex: number, outputs: WiredOutput[], services: TaskServices) {
    super(vertex, subtaskIndex, outputs, services);
    this.sourceNode = vertex.nodes[0]!;
    const strategy = this.sourceNode.watermarkStrategy;
    if (strategy !== undefined) {
      const head = this.headOutput;
      const counting: Output<unknown> = {
        collect: (v, ts) => {
          this.emitted++;
          head.collect(v, ts);
        },
        emitWatermark: (wm) => head.emitWatermark(wm),
        emitWatermarkStatus: (idle) => head.emitWatermarkStatus(idle),
      };
      this.watermarks = new SourceWatermarks(
        strategy,
        counting,
        services.runtimeMode === 'STREAMING' && !strategy.emitsNoWatermarks,
        this.sourceNode.autoWatermarkInterval === 0,
      );
      this.mainOutput = this.watermarks.mainOutput();
    }
  }

  collect(record: unknown, timestamp?: number): void {
    if (this.mainOutput !== undefined) {
      this.mainOutput.collect(record, timestamp);
      return;
    }
    this.emitted++;
    this.headOutput.collect(record, timestamp === undefined ? NO_TIMESTAMP : timestamp);
  }

  createOutputForSplit(splitId: string): ReaderOutput<unknown> {
    if (this.watermarks === undefined) return this; // no strategy: splits need no watermarks of their own
    return this.watermarks.splitOutput(splitId);
  }

  releaseOutputForSplit(splitId: string): void {
    this.watermarks?.release(splitId);
  }

  private schedulePeriodicWatermarks(): void {
    const interval = this.sourceNode.autoWatermarkInterval;
    if (this.watermarks === undefined || interval <= 0 || this.services.runtimeMode !== 'STREAMING') return;
    const watermarks = this.watermarks;
    this.processingTimeService.scheduleWithFixedDelay(() => watermarks.onPeriodicEmit(), interval, this.sourceNode);
  }

  protected override startIO(): Promise<void> | void {
    const node = this.sourceNode;
    const parallelism = this.vertex.parallelism;
    const box: { started?: void | Promise<void> } = {};
    this.guard(node, () => {
      this.reader = node.source!.createReader({
        operatorName: node.name,
        getIndexOfSubtask: () => this.subtaskIndex,
        currentParallelism: () => parallelism,
      });
      box.started = this.reader.start();
    });
    this.schedulePeriodicWatermarks();
    const started = box.started;
    if (started !== undefined && typeof (started as Promise<void>).then === 'function') {
      return Promise.resolve(started).catch((e: unknown) => {
        throw attribute(e, node.name, this.subtaskIndex, parallelism);
      });
    }
  }

  protected hasInput(): boolean {
    return this.available && !this.stopped;
  }

  /** After a stop-with-savepoint barrier the reader is not polled again: nothing follows the savepoint. */
  private stopped = false;

  protected override afterBarrier(barrier: CheckpointBarrier): void {
    if (barrier.stop) this.stopped = true;
  }

  protected override notifyHeadCheckpointComplete(checkpointId: number): void {
    this.reader?.notifyCheckpointComplete?.(checkpointId);
  }

  protected override idleWait(): string | null {
    return this.available || this.state !== 'running' ? null : `${this.label(this.sourceNode)} is waiting for isAvailable()`;
  }

  protected processInput(): void {
    this.emitted = 0;
    const reader = this.reader;
    let status: string = 'MORE_AVAILABLE';
    try {
      for (let polls = 0; polls < BATCH_SIZE && this.emitted < BATCH_SIZE; polls++) {
        status = reader.pollNext(this);
        // A full batch may have gone out mid-poll: stop while a channel is out of credit.
        if (status !== 'MORE_AVAILABLE' || !this.writersHaveCredit()) break;
      }
    } catch (e) {
      throw attribute(e, this.sourceNode.name, this.subtaskIndex, this.vertex.parallelism);
    }
    if (status === 'END_OF_INPUT') {
      if (this.watermarks !== undefined) this.watermarks.endOfInput();
      else this.headOutput.emitWatermark(MAX_WATERMARK);
      this.afterMail();
      this.endOfInput();
      return;
    }
    if (status === 'NOTHING_AVAILABLE') {
      // Not a block: timers (periodic watermarks, idleness) still fire while the reader has nothing.
      this.available = false;
      const node = this.sourceNode;
      reader.isAvailable().then(
        () => {
          this.available = true;
          this.services.wakeup();
        },
        (e: unknown) => this.fail(attribute(e, node.name, this.subtaskIndex, this.vertex.parallelism)),
      );
    }
    this.afterMail();
  }

  protected override async closeIO(): Promise<void> {
    if (this.reader) await this.reader.close();
  }
}
