/**
 * `getRuntimeContext().getTaskInfo()` has Flink's TaskInfo getters (`getIndexOfThisSubtask()` & co.,
 * how Flink 2 code reads them) besides its fields.
 */
import { expect, test } from 'vitest';
import { RichMapFunction, StreamExecutionEnvironment, type OpenContext } from '../../lib/index.ts';

class WhereAmI extends RichMapFunction<number, string> {
  private where = '';
  override open(_context: OpenContext): void {
    const info = this.getRuntimeContext().getTaskInfo();
    this.where = [
      info.getTaskName() === info.taskName,
      `${info.getIndexOfThisSubtask()}=${info.indexOfThisSubtask}`,
      `${info.getNumberOfParallelSubtasks()}=${info.numberOfParallelSubtasks}`,
      `${info.getMaxNumberOfParallelSubtasks()}=${info.maxNumberOfParallelSubtasks}`,
      `${info.getAttemptNumber()}=${info.attemptNumber}`,
      info.getTaskNameWithSubtasks() === `${info.taskName} (${info.indexOfThisSubtask + 1}/2)#0`,
    ].join(' ');
  }
  map(): string {
    return this.where;
  }
}

test('the getters give the fields, in every subtask', async () => {
  const env = StreamExecutionEnvironment.create({ 'parallelism.default': 2 });
  const out = await env.fromSequence(1, 20).map(new WhereAmI()).executeAndCollect();
  expect(new Set(out)).toEqual(new Set(['true 0=0 2=2 128=128 0=0 true', 'true 1=1 2=2 128=128 0=0 true']));
});
