/**
 * `tidemark init <directory>`: a new project, as Flink's quickstart archetype makes one: package.json
 * depending on tidemark, tsconfig.json, tidemark.yaml, a small event-time job (src/job.ts) reading a
 * file, its process function (src/overheat-alert.ts) with a test on the `tidemark/testing` harness,
 * sample input and a README. It never overwrites anything: the directory must be new or empty.
 */
import { mkdirSync, readdirSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { TidemarkError } from '../core/errors.ts';

/** The directory given to `tidemark init` cannot take a new project. */
export class InitError extends TidemarkError {
  override name = 'InitError';
}

/** A valid npm package name made from a directory name (`My Job` -> `my-job`). */
export function packageNameFor(directory: string): string {
  const name = basename(resolve(directory))
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, '-')
    .replace(/^[._-]+|-+$/g, '');
  return name === '' ? 'tidemark-job' : name.slice(0, 214);
}

/** The files of a new project, by path relative to its directory. */
export function quickstartFiles(name: string, tidemarkVersion: string): Record<string, string> {
  const pkg = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      start: 'tidemark run src/job.ts --input data/readings.jsonl',
      test: 'tsc --noEmit && vitest run',
    },
    dependencies: { tidemark: `^${tidemarkVersion}` },
    devDependencies: { '@types/node': '^20.17.0', typescript: '^5.7.0', vitest: '^3.0.0' },
  };
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2022'],
      types: ['node'],
      strict: true,
      noEmit: true,
      allowImportingTsExtensions: true,
      verbatimModuleSyntax: true,
      noImplicitOverride: true,
      skipLibCheck: true,
    },
    include: ['src', 'test'],
  };
  return {
    'package.json': `${JSON.stringify(pkg, null, 2)}\n`,
    'tsconfig.json': `${JSON.stringify(tsconfig, null, 2)}\n`,
    '.gitignore': 'node_modules/\ncheckpoints/\nsavepoints/\n',
    'tidemark.yaml': TIDEMARK_YAML,
    'src/job.ts': JOB_TS,
    'src/overheat-alert.ts': OVERHEAT_ALERT_TS,
    'test/overheat-alert.test.ts': OVERHEAT_ALERT_TEST_TS,
    'data/readings.jsonl': READINGS_JSONL,
    'README.md': readme(name),
  };
}

/**
 * Writes a new project into `directory` (created if missing). Refuses a directory that holds
 * anything, or a path that is a file: nothing is overwritten. Returns the files written.
 */
export function initProject(directory: string, tidemarkVersion: string): string[] {
  if (existsSync(directory)) {
    if (!statSync(directory).isDirectory()) throw new InitError(`${directory} is a file, not a directory: tidemark init writes a new project into a new or empty directory.`);
    const present = readdirSync(directory);
    if (present.length > 0) {
      throw new InitError(
        `${directory} is not empty (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', ...' : ''}): tidemark init writes a new project into a new or empty directory and overwrites nothing.`,
      );
    }
  }
  const files = quickstartFiles(packageNameFor(directory), tidemarkVersion);
  for (const [path, text] of Object.entries(files)) {
    const target = join(directory, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text, { flag: 'wx' }); // wx: never overwrite, even a file that appeared meanwhile
  }
  return Object.keys(files);
}

const TIDEMARK_YAML = `# Configuration of \`tidemark run\` (read from the working directory), with Flink's config keys.
parallelism.default: 1
# execution.target: threads              # one worker thread per slot instead of one thread
# execution.checkpointing.interval: 10s  # checkpoints (see state.checkpoints.dir)
`;

const OVERHEAT_ALERT_TS = `import { KeyedProcessFunction, ValueStateDescriptor, type Collector, type KeyedProcessContext, type OnTimerContext, type ValueState } from 'tidemark';

/** A sensor reading; \`ts\` is its event time (epoch ms). */
export interface Reading {
  sensor: string;
  temp: number;
  ts: number;
}

/** Parses a JSON line; a blank line is skipped, anything else that is not a reading fails the job, saying why. */
export function parseReading(line: string): Reading[] {
  if (line.trim() === '') return [];
  const r = JSON.parse(line) as Partial<Reading>;
  if (typeof r.sensor !== 'string' || typeof r.temp !== 'number' || typeof r.ts !== 'number') {
    throw new Error(\`not a reading: \${line} (expected {"sensor": string, "temp": number, "ts": epoch ms})\`);
  }
  return [{ sensor: r.sensor, temp: r.temp, ts: r.ts }];
}

/** Alerts once a sensor has stayed above the threshold for \`forMs\` of event time (a timer per sensor). */
export class OverheatAlert extends KeyedProcessFunction<string, Reading, string> {
  private hotSince!: ValueState<number>;

  constructor(
    private readonly threshold = 90,
    private readonly forMs = 30_000,
  ) {
    super();
  }

  override open(): void {
    this.hotSince = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('hot-since'));
  }

  processElement(r: Reading, ctx: KeyedProcessContext<string>): void {
    const since = this.hotSince.value();
    if (r.temp > this.threshold && since === undefined) {
      this.hotSince.update(r.ts);
      ctx.timerService().registerEventTimeTimer(r.ts + this.forMs);
    } else if (r.temp <= this.threshold && since !== undefined) {
      ctx.timerService().deleteEventTimeTimer(since + this.forMs); // cooled down in time
      this.hotSince.clear();
    }
  }

  override onTimer(_timestamp: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
    out.collect(\`\${ctx.getCurrentKey()} above \${this.threshold} since \${new Date(this.hotSince.value()!).toISOString()}\`);
    this.hotSince.clear();
  }
}
`;

const JOB_TS = `/**
 * An event-time job: sensor readings as JSON lines (out of order by up to 5 s) from a file; an alert
 * when a sensor stays above the threshold for 30 s of event time. When the file ends, event time
 * jumps to the end and every timer still set fires.
 *   npx tidemark run src/job.ts --input data/readings.jsonl [--threshold 90]
 */
import { ParameterTool, StreamExecutionEnvironment, WatermarkStrategy } from 'tidemark';
import { OverheatAlert, parseReading, type Reading } from './overheat-alert.ts';

const params = ParameterTool.fromArgs(process.argv);
const env = StreamExecutionEnvironment.getExecutionEnvironment();

env
  .readTextFile(params.get('input', 'data/readings.jsonl'))
  .flatMap(parseReading)
  .name('Parse')
  .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Reading>('5 s').withTimestampAssigner((r) => r.ts))
  .keyBy((r) => r.sensor)
  .process(new OverheatAlert(params.getInt('threshold', 90)))
  .name('Overheat alert')
  .print();

await env.execute('Overheat alerts');
`;

const OVERHEAT_ALERT_TEST_TS = `import { describe, expect, test } from 'vitest';
import { ValueStateDescriptor } from 'tidemark';
import { ProcessFunctionTestHarnesses } from 'tidemark/testing';
import { OverheatAlert, parseReading, type Reading } from '../src/overheat-alert.ts';

const harness = () => ProcessFunctionTestHarnesses.forKeyedProcessFunction(new OverheatAlert(90, 30_000), (r: Reading) => r.sensor);
const reading = (sensor: string, temp: number, ts: number): Reading => ({ sensor, temp, ts });

describe('OverheatAlert', () => {
  test('alerts after 30 s above the threshold, not for a sensor that cooled down in time', () => {
    const h = harness();
    h.processElement(reading('s1', 91, 1000), 1000);
    h.processElement(reading('s2', 95, 2000), 2000);
    h.processElement(reading('s2', 70, 12_000), 12_000); // deletes s2's timer
    expect(h.numEventTimeTimers()).toBe(1);
    expect(h.getKeyedState('s1', new ValueStateDescriptor<number>('hot-since')).value()).toBe(1000);

    h.processWatermark(30_999);
    expect(h.extractOutputValues()).toEqual([]);
    h.processWatermark(31_000); // fires s1's timer
    expect(h.extractOutputValues()).toEqual(['s1 above 90 since 1970-01-01T00:00:01.000Z']);
    expect(h.numKeyedStateEntries()).toBe(0);
  });

  test('a restored function keeps its state and timers', () => {
    const before = harness();
    before.processElement(reading('s1', 99, 5000), 5000);
    const snapshot = before.snapshot();
    const after = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new OverheatAlert(90, 30_000), (r: Reading) => r.sensor, { initialState: snapshot });
    after.processWatermark(35_000);
    expect(after.extractOutputValues()).toEqual(['s1 above 90 since 1970-01-01T00:00:05.000Z']);
  });
});

describe('parseReading', () => {
  test('parses a reading, skips a blank line, refuses anything else', () => {
    expect(parseReading('{"sensor":"s1","temp":20.5,"ts":1000}')).toEqual([reading('s1', 20.5, 1000)]);
    expect(parseReading('  ')).toEqual([]);
    expect(() => parseReading('{"sensor":"s1"}')).toThrow(/not a reading/);
  });
});
`;

// s1 is above 90 from 22:13:25 on (one reading 2 s late); s2 cools down after 11 s.
const READINGS_JSONL = `{"sensor":"s1","temp":85.0,"ts":1700000000000}
{"sensor":"s2","temp":92.5,"ts":1700000001000}
{"sensor":"s1","temp":93.1,"ts":1700000005000}
{"sensor":"s1","temp":95.2,"ts":1700000003000}
{"sensor":"s2","temp":88.0,"ts":1700000012000}
{"sensor":"s1","temp":97.4,"ts":1700000020000}
{"sensor":"s2","temp":80.3,"ts":1700000030000}
{"sensor":"s1","temp":96.0,"ts":1700000040000}
`;

function readme(name: string): string {
  return `# ${name}

A stream-processing job on [tidemark](https://www.npmjs.com/package/tidemark), made by \`tidemark init\`.

\`\`\`sh
npm install
npm test
\`\`\`

\`npm test\` type-checks the project and runs the tests of \`test/\` (vitest), which drive the job's process
function with the \`tidemark/testing\` harness: elements, watermarks, timers and state, no job needed.

Run the job on the sample readings:

\`\`\`sh
npx tidemark run src/job.ts --input data/readings.jsonl
\`\`\`

It prints one alert, \`s1 above 90 since 2023-11-14T22:13:25.000Z\`: sensor s1 stayed above 90 for 30 s of
event time; s2 cooled down in time. \`tidemark.yaml\` holds the configuration (\`parallelism.default\`, and
Flink's other keys); \`npx tidemark run --help\` lists the options.

- \`src/job.ts\`: the job (source, watermarks, keyBy, process, sink)
- \`src/overheat-alert.ts\`: its parsing and its KeyedProcessFunction
- \`test/overheat-alert.test.ts\`: their tests
`;
}
