/**
 * Batch word count (the Flink tutorial's first job).
 *   npx tidemark run examples/wordcount-batch.ts --input words.txt --output out.csv
 * Prints the final count of each word, `(flink,2)`, and with --output writes `flink,2` lines.
 */
import { ParameterTool, StreamExecutionEnvironment } from 'tidemark';

const params = ParameterTool.fromArgs(process.argv);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setRuntimeMode('BATCH');

const counts = env
  .readTextFile(params.getRequired('input'))
  .flatMap((line: string) => line.toLowerCase().split(/\s+/).filter((w) => w.length > 0))
  .map((word): [string, number] => [word, 1])
  .keyBy(0)
  .sum(1);

counts.print();
const output = params.get('output');
if (output !== undefined) counts.writeAsCsv(output, { writeMode: 'OVERWRITE' }).setParallelism(1);

await env.execute('WordCount (batch)');
