/**
 * IoT alerting in event time. Sensor readings arrive as JSON lines on a socket, possibly out of order
 * (up to 5 s) — for example `{"sensor":"s1","value":21.5,"ts":1700000000000}`.
 *   - every minute of event time, per sensor: the average reading (tumbling window);
 *   - per sensor, an ALERT when it sent nothing for 30 s of event time (a timer, moved on each reading);
 *   - lines that are not valid readings are reported on stderr and skipped; nothing else is lost.
 * Run: start a server (`nc -lk 9999`), then
 *   npx tidemark run examples/iot-alerts.ts --port 9999
 * and paste readings. (Event time advances with the readings of all sensors; when the input ends, every
 * open window and timer fires.)
 */
import { DateTime } from 'luxon';
import {
  KeyedProcessFunction,
  OutputTag,
  ParameterTool,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  WatermarkStrategy,
  type AggregateFunction,
  type Collector,
  type KeyedProcessContext,
  type OnTimerContext,
  type ProcessContext,
  type ProcessWindowContext,
  type TimeWindow,
  type ValueState,
} from 'tidemark';

type Reading = { sensor: string; value: number; ts: number };

const params = ParameterTool.fromArgs(process.argv);
const silence = params.getInt('silence-ms', 30_000);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
const invalid = new OutputTag<string>('invalid');
const time = (ms: number): string => DateTime.fromMillis(ms, { zone: 'utc' }).toFormat("yyyy-LL-dd'T'HH:mm:ss'Z'");

/** Parses a line; a bad line goes to the `invalid` side output with the reason. */
function parse(line: string, ctx: ProcessContext, out: Collector<Reading>): void {
  if (line.trim() === '') return;
  try {
    const r = JSON.parse(line) as Partial<Reading>;
    if (typeof r.sensor !== 'string' || typeof r.value !== 'number' || typeof r.ts !== 'number') {
      throw new Error('expected {"sensor": string, "value": number, "ts": epoch ms}');
    }
    out.collect({ sensor: r.sensor, value: r.value, ts: r.ts });
  } catch (e) {
    ctx.output(invalid, `invalid reading ${JSON.stringify(line)}: ${(e as Error).message}`);
  }
}

const parsed = env.socketTextStream(params.get('host', '127.0.0.1'), params.getInt('port', 9999)).process(parse).name('Parse');
const readings = parsed.assignTimestampsAndWatermarks(
  WatermarkStrategy.forBoundedOutOfOrderness<Reading>('5 s').withTimestampAssigner((r) => r.ts),
);

const average: AggregateFunction<Reading, [number, number], [number, number]> = {
  createAccumulator: () => [0, 0],
  add: (r, [sum, n]) => [sum + r.value, n + 1],
  getResult: (acc) => acc,
  merge: ([s1, n1], [s2, n2]) => [s1 + s2, n1 + n2],
};

readings
  .keyBy((r) => r.sensor)
  .window(TumblingEventTimeWindows.of('1 min'))
  .aggregate(average, (sensor: string, ctx: ProcessWindowContext<TimeWindow>, [acc]: Array<[number, number]>, out: Collector<string>) => {
    const [sum, n] = acc!;
    out.collect(`avg sensor=${sensor} window=[${time(ctx.window().getStart())},${time(ctx.window().getEnd())}) avg=${(sum / n).toFixed(2)} n=${n}`);
  })
  .name('1-minute averages')
  .print();

/** Alerts when a sensor's next reading is more than `silence` ms of event time after its last one. */
class SilenceAlert extends KeyedProcessFunction<string, Reading, string> {
  private deadline!: ValueState<number>;
  override open(): void {
    this.deadline = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('deadline'));
  }
  processElement(r: Reading, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    const previous = this.deadline.value();
    // A reading after the deadline whose timer has not fired yet (the watermark lags by up to 5 s): the gap happened.
    if (previous !== undefined && r.ts > previous) {
      out.collect(`ALERT sensor=${r.sensor} silent from ${time(previous - silence)} until ${time(r.ts)}`);
    }
    const next = Math.max(previous ?? 0, r.ts + silence);
    if (previous !== undefined && previous !== next) ctx.timerService().deleteEventTimeTimer(previous);
    this.deadline.update(next);
    ctx.timerService().registerEventTimeTimer(next);
  }
  override onTimer(ts: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
    out.collect(`ALERT sensor=${ctx.getCurrentKey()} silent since ${time(ts - silence)} (${silence / 1000} s)`);
    this.deadline.clear();
  }
}

readings.keyBy((r) => r.sensor).process(new SilenceAlert()).name('Silence alerts').print();
parsed.getSideOutput(invalid).printToErr();

await env.execute('IoT alerts');
