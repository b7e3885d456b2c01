/**
 * Fraud detection with rules that change while the job runs (CEP.dynamicPatterns). Transactions arrive
 * on one socket as `<epochMillis>,<cardId>,<amount>`; rules arrive on a second socket as JSON lines
 *   {"id":"small-then-large","action":"upsert","spec":{...}}   (add or replace; spec as Pattern.toSpec())
 *   {"id":"small-then-large","action":"delete"}                (remove)
 * Conditions in a spec are expressions (`amount < 1`), not code. Every match prints the rule it came from.
 * Run: serve the rules (`nc -lN 9998 < examples/data/rules.jsonl`) and the transactions
 * (`nc -lN 9999 < examples/data/transactions.csv`), then
 *   npx tidemark run examples/fraud-detection-dynamic.ts --port 9999 --rules-port 9998
 * Options: --host (127.0.0.1), --port (9999), --rules-port (9998), --out-of-orderness ('5 s').
 */
import { DateTime } from 'luxon';
import { OutputTag, ParameterTool, StreamExecutionEnvironment, WatermarkStrategy, type Collector } from 'tidemark';
import { CEP, type PatternRule, type RejectedRule } from 'tidemark/cep';

type Txn = { ts: number; card: string; amount: number };

const params = ParameterTool.fromArgs(process.argv);
const host = params.get('host', '127.0.0.1');
const env = StreamExecutionEnvironment.getExecutionEnvironment();
const rejected = new OutputTag<RejectedRule>('rejected-rules');
const time = (ms: number): string => DateTime.fromMillis(ms, { zone: 'utc' }).toFormat('HH:mm:ss');

/** A transaction line, or null (reported on stderr) when it is not one. */
function parseTxn(line: string): Txn | null {
  const [ts, card, amount, ...rest] = line.split(',').map((f) => f.trim());
  const txn = { ts: Number(ts), card: card ?? '', amount: Number(amount) };
  if (rest.length > 0 || !Number.isSafeInteger(txn.ts) || txn.card === '' || amount === '' || !Number.isFinite(txn.amount)) {
    console.error(`invalid transaction ${JSON.stringify(line)}: expected <epochMillis>,<cardId>,<amount>`);
    return null;
  }
  return txn;
}

/** A rule line; JSON that does not parse is reported and skipped (the operator checks the rest). */
function parseRule(line: string): PatternRule | null {
  try {
    return JSON.parse(line) as PatternRule;
  } catch {
    console.error(`invalid rule ${JSON.stringify(line)}: not JSON`);
    return null;
  }
}

const txns = env
  .socketTextStream(host, params.getInt('port', 9999))
  .flatMap((line: string, out: Collector<Txn>) => {
    const t = line.trim() === '' ? null : parseTxn(line);
    if (t !== null) out.collect(t);
  })
  .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Txn>(params.get('out-of-orderness', '5 s')).withTimestampAssigner((t) => t.ts));

const rules = env.socketTextStream(host, params.getInt('rules-port', 9998)).flatMap((line: string, out: Collector<PatternRule>) => {
  const r = line.trim() === '' ? null : parseRule(line);
  if (r !== null) out.collect(r);
});

const alerts = CEP.dynamicPatterns(txns.keyBy((t) => t.card), rules)
  .sideOutputRejectedRules(rejected)
  .process((match, ctx, out: Collector<string>) => {
    const events = Object.values(match).flat();
    out.collect(`ALERT ${ctx.patternId()} card ${events[0]!.card}: ${events.map((t) => `${t.amount.toFixed(2)}@${time(t.ts)}`).join(' ')}`);
  })
  .name('Rules');

alerts.print();
alerts.getSideOutput(rejected).map((r) => `rule rejected: ${r.error}`).printToErr();

await env.execute('Fraud detection (dynamic rules)');
