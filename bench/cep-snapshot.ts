/**
 * What a checkpoint of bench row (d)'s CEP operator spends on its NFA states: row (d)'s pattern and
 * events (bench/cep.ts) fed straight to one NFA for --keys keys (the operator's order within a key:
 * advanceTime, then the event), until each key holds its partial matches of a 10 s window; then every
 * key's state is snapshotted, --reps times: compact states written directly (snapshotNFAState), compact
 * states through their general form (snapshotNFAState(nfa.generalCopy(state)), as before the direct
 * writer) and the general engine's states, in turns. Checks the snapshots are the same. Then the
 * snapshots are restored general (restoreNFAState) and compact (restoreNFAStateFor), in turns, and
 * the next --after events (default 100 000: one window of event time) fed to each restored set (emptied
 * states recycled, as the operator does: they come back compact).
 *
 *   npx tsx bench/cep-snapshot.ts --n 300000 --reps 5
 */
import { ParameterTool } from '../lib/index.ts';
import { NFA, type NFAState } from '../lib/cep/nfa/nfa.ts';
import { restoreNFAState, restoreNFAStateFor, snapshotNFAState, type NFAStateSnapshot } from '../lib/cep/nfa/nfa-state-snapshot.ts';
import { cepPattern, toCepEvent, type CepEvent } from './cep.ts';

const params = ParameterTool.fromArgs(process.argv);
const n = params.getInt('n', 300_000);
const reps = params.getInt('reps', 5);
const after = params.getInt('after', 100_000);

function run(nfa: NFA<CepEvent>): Map<number, NFAState<CepEvent>> {
  const states = new Map<number, NFAState<CepEvent>>();
  for (let i = 0; i < n; i++) {
    const e = toCepEvent(i);
    let st = states.get(e.key);
    if (st === undefined) states.set(e.key, (st = nfa.createInitialNFAState()));
    nfa.advanceTime(st, e.ts);
    nfa.process(st, e, e.ts);
  }
  return states;
}

const compactNFA = NFA.compile(cepPattern(), true, undefined, { compact: true });
const compact = run(compactNFA);
const general = run(NFA.compile(cepPattern(), true, undefined, { compact: false }));
let open = 0;
for (const st of compact.values()) open += st.numPartialMatches();
for (const [k, st] of compact) {
  if (JSON.stringify(snapshotNFAState(st)) !== JSON.stringify(snapshotNFAState(general.get(k)!))) throw new Error(`key ${k}: the compact state's snapshot is not the general one's`);
}
const ways: Record<string, () => number> = {
  direct: () => {
    let size = 0;
    for (const st of compact.values()) size += snapshotNFAState(st).nodes.length;
    return size;
  },
  'via general copy': () => {
    let size = 0;
    for (const st of compact.values()) size += snapshotNFAState(compactNFA.generalCopy(st)).nodes.length;
    return size;
  },
  'general states': () => {
    let size = 0;
    for (const st of general.values()) size += snapshotNFAState(st).nodes.length;
    return size;
  },
};
const names = Object.keys(ways);
const sizes = new Set<number>();
for (let rep = 0; rep < reps; rep++) {
  const order = rep % 2 === 0 ? names : [...names].reverse();
  const ms: Record<string, string> = {};
  for (const name of order) {
    const t0 = performance.now();
    sizes.add(ways[name]!());
    ms[name] = (performance.now() - t0).toFixed(1);
  }
  console.log(`${compact.size} keys, ${open} open partial matches: ${names.map((k) => `${k} ${ms[k]} ms`).join(', ')}`);
}
if (sizes.size !== 1) throw new Error('snapshots differ');

const keys = [...compact.keys()];
const snapshots: Array<NFAStateSnapshot<CepEvent>> = keys.map((k) => snapshotNFAState(compact.get(k)!));
for (let rep = 0; rep < reps; rep++) {
  const ms: Record<string, string> = {};
  const matches: Record<string, number> = {};
  for (const way of rep % 2 === 0 ? ['compact', 'general'] : ['general', 'compact']) {
    const t0 = performance.now();
    const restored = new Map<number, NFAState<CepEvent>>();
    for (let i = 0; i < keys.length; i++) {
      const s = snapshots[i]!;
      restored.set(keys[i]!, way === 'compact' ? restoreNFAStateFor(s, compactNFA) : restoreNFAState(s, compactNFA.getStates()));
    }
    const t1 = performance.now();
    let count = 0;
    for (let i = n; i < n + after; i++) {
      const e = toCepEvent(i);
      let st = restored.get(e.key);
      if (st === undefined) restored.set(e.key, (st = compactNFA.createInitialNFAState()));
      compactNFA.advanceTime(st, e.ts);
      count += compactNFA.process(st, e, e.ts).length;
      if (st.isEmpty()) {
        // As the operator: an emptied key's state is recycled (it comes back compact).
        compactNFA.recycle(st);
        restored.delete(e.key);
      }
    }
    const t2 = performance.now();
    let general = 0;
    for (const st of restored.values()) if (st.compact === null) general++;
    ms[way] = `restore ${(t1 - t0).toFixed(1)} ms, next ${after} events ${(t2 - t1).toFixed(1)} ms (${general} states still general)`;
    matches[way] = count;
  }
  if (matches['compact'] !== matches['general']) throw new Error('other matches');
  console.log(`${snapshots.length} states restored compact: ${ms['compact']}; restored general: ${ms['general']}`);
}
