/**
 * Streaming word count over a socket. Start a server first (`nc -lk 8888`), then:
 *   npx tidemark run -p 4 examples/wordcount-stream.ts --host 127.0.0.1 --port 8888
 * Each line typed into nc updates the running counts: `2> (flink,1)`, `2> (flink,2)`, ...
 * The prefix is the subtask that owns the word; a word always goes to the same subtask.
 */
import { ParameterTool, StreamExecutionEnvironment } from 'tidemark';

const params = ParameterTool.fromArgs(process.argv);
const env = StreamExecutionEnvironment.getExecutionEnvironment();

env
  .socketTextStream(params.get('host', '127.0.0.1'), params.getInt('port', 8888))
  .flatMap((line: string) => line.toLowerCase().split(/\s+/).filter((w) => w.length > 0))
  .map((word): [string, number] => [word, 1])
  .keyBy((pair) => pair[0])
  .sum(1)
  .print();

await env.execute('WordCount (streaming)');
