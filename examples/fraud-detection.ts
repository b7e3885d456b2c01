/**
 * Fraud detection with CEP in event time. Card transactions arrive as text lines on a socket,
 * `<epochMillis>,<cardId>,<amount>`, possibly out of order (up to `--out-of-orderness`, default 5 s).
 *   - per card, an ALERT when a small transaction (< 1.00) is followed by a large one (> 500) within 1 minute;
 *   - small transactions that no large one followed in time are counted (printed when the input ends);
 *   - transactions behind the watermark are printed with a LATE prefix (they are not matched);
 *   - lines that are not transactions are reported on stderr, counted and skipped.
 * Run: serve the sample file (`nc -lN 9999 < examples/data/transactions.csv`), then
 *   npx tidemark run examples/fraud-detection.ts --port 9999
 * Options: --host (127.0.0.1), --port (9999), --out-of-orderness ('5 s'), --idleness ('1 min').
 */
import { DateTime } from 'luxon';
import {
  IntCounter,
  OutputTag,
  ParameterTool,
  ProcessFunction,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type Collector,
  type ProcessContext,
} from 'tidemark';
import { CEP, Pattern, PatternProcessFunction, type Match, type PatternContext, type StageNames, type TimedOutPartialMatchHandler } from 'tidemark/cep';

type Txn = { ts: number; card: string; amount: number };

const params = ParameterTool.fromArgs(process.argv);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
const invalid = new OutputTag<string>('invalid');
const late = new OutputTag<Txn>('late');
const time = (ms: number): string => DateTime.fromMillis(ms, { zone: 'utc' }).toFormat("yyyy-LL-dd'T'HH:mm:ss'Z'");
const show = (t: Txn): string => `${t.amount.toFixed(2)} at ${time(t.ts)}`;

/** Parses `<epochMillis>,<cardId>,<amount>`; a bad line goes to the `invalid` side output with the reason, and is counted. */
class ParseTransaction extends ProcessFunction<string, Txn> {
  private readonly badLines = new IntCounter();
  override open(): void {
    this.getRuntimeContext().addAccumulator('bad-lines', this.badLines);
  }
  processElement(line: string, ctx: ProcessContext, out: Collector<Txn>): void {
    if (line.trim() === '') return;
    const [ts, card, amount, ...rest] = line.split(',').map((f) => f.trim());
    const txn = { ts: Number(ts), card: card ?? '', amount: Number(amount) };
    if (rest.length > 0 || !Number.isSafeInteger(txn.ts) || txn.card === '' || amount === '' || !Number.isFinite(txn.amount)) {
      this.badLines.add(1);
      ctx.output(invalid, `invalid transaction ${JSON.stringify(line)}: expected <epochMillis>,<cardId>,<amount>`);
      return;
    }
    out.collect(txn);
  }
}

const parsed = env.socketTextStream(params.get('host', '127.0.0.1'), params.getInt('port', 9999)).process(new ParseTransaction()).name('Parse');
const txns = parsed.assignTimestampsAndWatermarks(
  WatermarkStrategy.forBoundedOutOfOrderness<Txn>(params.get('out-of-orderness', '5 s'))
    .withTimestampAssigner((t) => t.ts)
    .withIdleness(params.get('idleness', '1 min')), // a parallel subtask that gets no lines does not hold event time back
);

// followedBy (relaxed contiguity), not next (strict): a fraudster's test charge is usually followed by other
// charges before the big one, and those must not break the match. Events are matched in timestamp order.
const smallThenLarge = Pattern.begin<Txn, 'small'>('small') // the second type argument keeps the stage names in the type
  .where((t) => t.amount < 1)
  .followedBy('large')
  .where((t) => t.amount > 500)
  .within('1 min');

type Names = StageNames<typeof smallThenLarge>; // 'small' | 'large'

/** Alerts on each match; counts the small transactions whose 1 minute passed without a large one. */
class FraudAlert extends PatternProcessFunction<Txn, Names, string> implements TimedOutPartialMatchHandler<Txn, Names> {
  private readonly unfollowed = new IntCounter();
  override open(): void {
    this.getRuntimeContext().addAccumulator('small-without-large', this.unfollowed);
  }
  processMatch(m: Match<Txn, Names>, _ctx: PatternContext, out: Collector<string>): void {
    const [small, large] = [m.small[0]!, m.large[0]!];
    out.collect(`ALERT card ${small.card}: ${show(small)} then ${show(large)}`);
  }
  processTimedOutMatch(): void {
    this.unfollowed.add(1);
  }
}

const alerts = CEP.pattern(txns.keyBy((t) => t.card), smallThenLarge)
  .sideOutputLateData(late)
  .process(new FraudAlert())
  .name('Small then large');

alerts.print();
alerts.getSideOutput(late).map((t) => `LATE card ${t.card}: ${show(t)}`).print();
parsed.getSideOutput(invalid).printToErr();

const result = await env.execute('Fraud detection');
// Runs once, after the input ended (workers of `-t threads` never get here).
const unfollowed = result.getAccumulatorResult<number>('small-without-large') ?? 0;
const badLines = result.getAccumulatorResult<number>('bad-lines') ?? 0;
console.log(`${unfollowed} small transaction(s) not followed by a large one within 1 min, ${badLines} invalid line(s)`);
