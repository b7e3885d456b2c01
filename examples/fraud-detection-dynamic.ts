/**
 * Fraud detection with rules that change while the job runs (CEP.dynamicPatterns). Transactions arrive
 * on a socket as `<epochMillis>,<cardId>,<amount>`. Rules are JSON lines
 *   {"id":"small-then-large","action":"upsert","spec":{...}}   (add or replace; spec as Pattern.toSpec())
 *   {"id":"small-then-large","action":"delete"}                (remove)
 * read from a file at start (`--rules`, default examples/data/rules.jsonl): those run from the first
 * transaction on. Changes can follow on a second socket (`--rules-port`): each applies from when it
 * arrives, to every transaction that event time has not passed yet.
 * Conditions in a spec are expressions (`amount < 1`), not code. Every match prints the rule it came from.
 * Run: serve the transactions (`nc -lN 9999 < examples/data/transactions.csv`), then
 *   npx tidemark run examples/fraud-detection-dynamic.ts --port 9999
 * Options: --host (127.0.0.1), --port (9999), --rules (file), --rules-port (none), --out-of-orderness ('5 s').
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import { OutputTag, ParameterTool, StreamExecutionEnvironment, WatermarkStrategy, type Collector } from 'tidemark';
import { CEP, PatternSpecError, type PatternRule, type RejectedRule } from 'tidemark/cep';

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

/** The rules of a JSON-lines file; a line that is not JSON stops the job before it starts, naming file and line. */
function readRules(file: string): PatternRule[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line, i) => {
      if (line.trim() === '') return [];
      try {
        return [JSON.parse(line) as PatternRule];
      } catch {
        throw new PatternSpecError(`${file}:${i + 1}`, 'not a JSON rule');
      }
    });
}

// Rule changes from a socket, if any: read concurrently with the transactions.
const ruleUpdates = params.has('rules-port')
  ? env.socketTextStream(host, params.getInt('rules-port')).flatMap((line: string, out: Collector<PatternRule>) => {
      const r = line.trim() === '' ? null : parseRule(line);
      if (r !== null) out.collect(r);
    })
  : env.fromElements<PatternRule>();

const alerts = CEP.dynamicPatterns(txns.keyBy((t) => t.card), ruleUpdates)
  // Running before the first transaction: alerts do not depend on which socket is read first.
  .withInitialRules(readRules(params.get('rules', fileURLToPath(new URL('data/rules.jsonl', import.meta.url)))))
  .sideOutputRejectedRules(rejected)
  .process((match, ctx, out: Collector<string>) => {
    const events = Object.values(match).flat();
    out.collect(`ALERT ${ctx.patternId()} card ${events[0]!.card}: ${events.map((t) => `${t.amount.toFixed(2)}@${time(t.ts)}`).join(' ')}`);
  })
  .name('Rules');

alerts.print();
alerts.getSideOutput(rejected).map((r) => `rule rejected: ${r.error}`).printToErr();

const result = await env.execute('Fraud detection (dynamic rules)');
const unchecked = result.getAccumulatorResult<number>('Rules.numRecordsWithoutPatterns') ?? 0;
if (unchecked > 0) console.error(`${unchecked} transaction(s) were not checked: no rule was running when event time passed them`);
