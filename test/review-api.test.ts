/** Review: toObservable when the job cannot start. */
import { describe, expect, test } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { StreamExecutionEnvironment } from '../lib/index.ts';
import { rejection } from './helpers.ts';

describe('review: toObservable', () => {
  test('errors when the job is refused at submission (not enough slots) instead of never settling', async () => {
    const e = StreamExecutionEnvironment.create({ 'parallelism.default': 8, 'taskmanager.numberOfTaskSlots': 2 });
    const all = lastValueFrom(e.fromSequence(1, 10).toObservable().pipe(toArray()));
    await rejection(e.execute('too wide'));
    const settled = await Promise.race([
      all.then(
        () => 'completed',
        () => 'errored',
      ),
      new Promise((r) => setTimeout(() => r('never settled'), 500)),
    ]);
    expect(settled).toBe('errored');
  });
});
