import { CoreOptions, type Configuration } from './config.ts';

/**
 * Job-wide settings (Flink's ExecutionConfig), a view on the environment's Configuration.
 * ```ts
 * env.getConfig().setAutoWatermarkInterval(100);
 * ```
 */
export class ExecutionConfig {
  constructor(private readonly configuration: Configuration) {}

  /** How often (ms of processing time) watermark generators are asked for a watermark; 0 disables it. */
  setAutoWatermarkInterval(intervalMillis: number): this {
    this.configuration.set(CoreOptions.AUTO_WATERMARK_INTERVAL, intervalMillis);
    return this;
  }
  getAutoWatermarkInterval(): number {
    return this.configuration.get(CoreOptions.AUTO_WATERMARK_INTERVAL);
  }
  setParallelism(parallelism: number): this {
    this.configuration.set(CoreOptions.DEFAULT_PARALLELISM, parallelism);
    return this;
  }
  getParallelism(): number {
    return this.configuration.get(CoreOptions.DEFAULT_PARALLELISM);
  }
  setMaxParallelism(maxParallelism: number): this {
    this.configuration.set(CoreOptions.MAX_PARALLELISM, maxParallelism);
    return this;
  }
  getMaxParallelism(): number {
    return this.configuration.get(CoreOptions.MAX_PARALLELISM);
  }
}
