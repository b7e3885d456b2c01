import type { Accumulator } from '../core/accumulators/accumulator.ts';

/** What `env.execute()` resolves to when the job finished (a canceled job rejects with JobCancellationException). */
export class JobExecutionResult {
  constructor(
    readonly jobId: string,
    readonly jobName: string,
    /** Wall-clock run time of the job in milliseconds. */
    readonly netRuntime: number,
    private readonly accumulators: ReadonlyMap<string, Accumulator<unknown, unknown>>,
  ) {}

  getJobID(): string {
    return this.jobId;
  }

  /** Run time in ms, or in the unit asked for. */
  getNetRuntime(unit: 'ms' | 's' = 'ms'): number {
    return unit === 's' ? this.netRuntime / 1000 : this.netRuntime;
  }

  getAccumulatorResult<R = unknown>(name: string): R | undefined {
    return this.accumulators.get(name)?.getLocalValue() as R | undefined;
  }

  getAllAccumulatorResults(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, a] of this.accumulators) out[k] = a.getLocalValue();
    return out;
  }

  toString(): string {
    return `JobExecutionResult{jobId=${this.jobId}, jobName=${this.jobName}, netRuntime=${this.netRuntime} ms}`;
  }
}
