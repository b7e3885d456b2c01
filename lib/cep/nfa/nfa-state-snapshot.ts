/**
 * A key's NFA state as plain data and back (the role of Flink's NFAStateSerializer and the shared
 * buffer's MapStates): partial matches name their NFA state and point into flat tables of buffered
 * events and (stage, event) nodes, with versions as Dewey strings and every lock count kept, so a
 * restored state behaves exactly as the one snapshotted. The data is structured-clone- and (for JSON
 * events) JSON-safe; the NFA it is restored into must be compiled from the same pattern.
 */
import { DeweyNumber } from './dewey-number.ts';
import { addEdge, edgesOf, newNode, type BufferEvent, type SharedBufferNode } from './sharedbuffer/shared-buffer.ts';
import { ComputationState, NFAState, compactVersion, type CompactState, type CompactTaken, type NFA } from './nfa.ts';
import type { State } from './state.ts';

export interface ComputationStateSnapshot {
  readonly state: string;
  /** Index into `nodes`, -1 for none (a start state). */
  readonly entry: number;
  readonly version: string;
  readonly startTimestamp: number;
  readonly previousTimestamp: number;
  readonly startEventTimestamp: number;
  readonly startEventId: number;
}

export interface NFAStateSnapshot<T> {
  readonly nextEventId: number;
  readonly events: ReadonlyArray<{ readonly id: number; readonly timestamp: number; readonly value: T; readonly refs: number }>;
  readonly nodes: ReadonlyArray<{
    /** Index into `events`. */
    readonly event: number;
    readonly stage: string;
    readonly refs: number;
    readonly edges: ReadonlyArray<{ readonly target: number; readonly version: string; readonly refs: number }>;
  }>;
  readonly partialMatches: readonly ComputationStateSnapshot[];
  readonly completedMatches: readonly ComputationStateSnapshot[];
}

export function snapshotNFAState<T>(compactOrGeneral: NFAState<T>): NFAStateSnapshot<T> {
  // A compact state is snapshotted as its general form, and stays compact.
  const compact = compactOrGeneral.compact;
  if (compact !== null) return snapshotCompact(compact);
  const state = compactOrGeneral;
  const nodeIndex = new Map<SharedBufferNode<T>, number>();
  const eventIndex = new Map<BufferEvent<T>, number>();
  const nodes: Array<SharedBufferNode<T>> = [];
  const events: Array<BufferEvent<T>> = [];
  // Every node reachable from a partial match (edges lead back to earlier nodes).
  const visit = (start: SharedBufferNode<T> | null): void => {
    const stack = start === null ? [] : [start];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (nodeIndex.has(n)) continue;
      nodeIndex.set(n, nodes.length);
      nodes.push(n);
      if (!eventIndex.has(n.event)) {
        eventIndex.set(n.event, events.length);
        events.push(n.event);
      }
      for (const e of edgesOf(n)) if (e.target !== null) stack.push(e.target);
    }
  };
  for (const cs of state.partialMatches) visit(cs.previousEntry);
  for (const cs of state.completedMatches) visit(cs.previousEntry);
  const csOf = (cs: ComputationState<T>): ComputationStateSnapshot => ({
    state: cs.state.name,
    entry: cs.previousEntry === null ? -1 : nodeIndex.get(cs.previousEntry)!,
    version: cs.version.toString(),
    startTimestamp: cs.startTimestamp,
    previousTimestamp: cs.previousTimestamp,
    startEventTimestamp: cs.startEventTimestamp,
    startEventId: cs.startEventId,
  });
  return {
    nextEventId: state.sharedBuffer.peekNextEventId(),
    events: events.map((e) => ({ id: e.id, timestamp: e.timestamp, value: e.value, refs: e.refs })),
    nodes: nodes.map((n) => ({
      event: eventIndex.get(n.event)!,
      stage: n.stage,
      refs: n.refs,
      edges: edgesOf(n).map((e) => ({ target: e.target === null ? -1 : nodeIndex.get(e.target)!, version: e.version.toString(), refs: e.refs })),
    })),
    // in iteration order: offered back in this order they rebuild the same heaps (see NFAState)
    partialMatches: state.partialMatches.toArray().map(csOf),
    completedMatches: state.completedMatches.toArray().map(csOf),
  };
}

/** A node of the general form of a compact state (see NFA.fillGeneral), as snapshotCompact builds it. */
interface CompactNode<T> {
  readonly taken: CompactTaken<T>;
  readonly stage: string;
  /** The next node of the same event (another stage took it). */
  readonly nextOfEvent: CompactNode<T> | null;
  /** Edges: the takes (their seq, run and depth) and the node each leads back to. */
  readonly edges: Array<{ readonly seq: number; readonly run: number; readonly depth: number; readonly target: CompactNode<T> | null }>;
  index: number;
}

/**
 * snapshotNFAState of the general form of a compact state, written from the compact one (without
 * building the general form: its events, nodes, versions and partial matches): the same data, in
 * the same order. A partial match of run r that took e0..e(k-1) is in chain state k with version
 * r.0…0 (k zeros), at the node (stage k-1, e(k-1)); the node (stage j, ej) has an edge back to
 * (stage j-1, e(j-1)) with version r.0…0 (j zeros), locked once; nodes shared by the partial matches
 * that took one event in one stage, their edges in the order taken (seq); a node held once per edge,
 * an event once per node.
 */
function snapshotCompact<T>(c: CompactState<T>): NFAStateSnapshot<T> {
  const names = c.owner.chainStateNames;
  const stages = c.owner.chainStages;
  const heap = c.matches;
  // The nodes of each event (by id), and the node each partial match is at.
  const byEvent = new Map<number, CompactNode<T>>();
  const at: Array<CompactNode<T> | null> = [];
  const taken: Array<CompactTaken<T>> = [];
  for (let i = 0; i < heap.size; i++) {
    const pm = heap.elementAt(i);
    taken.length = 0;
    for (let t = pm.last; t !== null; t = t.prev) taken.push(t);
    let previous: CompactNode<T> | null = null;
    for (let j = 0; j < taken.length; j++) {
      const t = taken[taken.length - 1 - j]!;
      const stage = stages[j]!;
      const first = byEvent.get(t.id);
      let node = first ?? null;
      while (node !== null && node.stage !== stage) node = node.nextOfEvent;
      if (node === null) {
        node = { taken: t, stage, nextOfEvent: first ?? null, edges: [], index: -1 };
        byEvent.set(t.id, node);
      }
      node.edges.push({ seq: t.seq, run: pm.run, depth: j, target: previous });
      previous = node;
    }
    at.push(previous);
  }
  // Visited as snapshotNFAState visits the general form: depth-first from each partial match's node.
  const nodes: Array<CompactNode<T>> = [];
  const eventIndex = new Map<number, number>();
  const events: Array<{ id: number; timestamp: number; value: T; refs: number }> = [];
  const stack: Array<CompactNode<T>> = [];
  for (const start of at) {
    if (start === null) continue;
    stack.push(start);
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n.index >= 0) continue;
      n.index = nodes.length;
      nodes.push(n);
      const t = n.taken;
      if (!eventIndex.has(t.id)) {
        let refs = 0;
        for (let m: CompactNode<T> | null = byEvent.get(t.id)!; m !== null; m = m.nextOfEvent) refs++;
        eventIndex.set(t.id, events.length);
        events.push({ id: t.id, timestamp: t.timestamp, value: t.value, refs });
      }
      if (n.edges.length > 1) n.edges.sort((a, b) => a.seq - b.seq);
      for (const e of n.edges) if (e.target !== null) stack.push(e.target);
    }
  }
  const version = compactVersion;
  const partialMatches: ComputationStateSnapshot[] = [];
  for (let i = 0; i < heap.size; i++) {
    const pm = heap.elementAt(i);
    const node = at[i]!;
    partialMatches.push(
      node === null
        ? { state: names[0]!, entry: -1, version: `${c.startRun}`, startTimestamp: -1, previousTimestamp: -1, startEventTimestamp: -1, startEventId: -1 }
        : {
            state: names[pm.stage]!,
            entry: node.index,
            version: version(pm.run, pm.stage),
            startTimestamp: pm.startTimestamp,
            previousTimestamp: node.taken.timestamp,
            startEventTimestamp: pm.startTimestamp,
            startEventId: pm.startId,
          },
    );
  }
  return {
    nextEventId: c.nextEventId,
    events,
    nodes: nodes.map((n) => ({
      event: eventIndex.get(n.taken.id)!,
      stage: n.stage,
      refs: n.edges.length,
      edges: n.edges.map((e) => ({ target: e.target === null ? -1 : e.target.index, version: version(e.run, e.depth), refs: 1 })),
    })),
    partialMatches,
    completedMatches: [],
  };
}

/**
 * Rebuilds a state from `snapshot` for `nfa` (compiled from the pattern it was written for): compact
 * (NFA.compactStateFrom) when the compact engine holds it exactly, so a restored job runs at the compact
 * engine's speed from the start (not only once each key empties); else general, as restoreNFAState.
 * Exact, checked: the compact state is kept only if its snapshot is `snapshot` itself (the same
 * partial matches in the same order, versions, events, nodes, edges in order, lock counts, counters;
 * values the same objects), and the compact engine behaves as the general state that snapshot restores.
 */
export function restoreNFAStateFor<T>(snapshot: NFAStateSnapshot<T>, nfa: NFA<T, unknown>): NFAState<T> {
  const compact = nfa.isCompact() ? nfa.compactStateFrom(snapshot) : null;
  if (compact !== null && sameSnapshot(snapshotCompact(compact.compact!), snapshot)) return compact;
  return restoreNFAState(snapshot, nfa.getStates());
}

/** Whether two snapshots hold the same data (event values compared as objects, not by content). */
function sameSnapshot<T>(a: NFAStateSnapshot<T>, b: NFAStateSnapshot<T>): boolean {
  if (a.nextEventId !== b.nextEventId || a.events.length !== b.events.length || a.nodes.length !== b.nodes.length) return false;
  for (let i = 0; i < a.events.length; i++) {
    const x = a.events[i]!;
    const y = b.events[i]!;
    if (x.id !== y.id || x.timestamp !== y.timestamp || x.refs !== y.refs || !Object.is(x.value, y.value)) return false;
  }
  for (let i = 0; i < a.nodes.length; i++) {
    const x = a.nodes[i]!;
    const y = b.nodes[i]!;
    if (x.event !== y.event || x.stage !== y.stage || x.refs !== y.refs || x.edges.length !== y.edges.length) return false;
    for (let j = 0; j < x.edges.length; j++) {
      const e = x.edges[j]!;
      const f = y.edges[j]!;
      if (e.target !== f.target || e.version !== f.version || e.refs !== f.refs) return false;
    }
  }
  const sameMatches = (p: readonly ComputationStateSnapshot[], q: readonly ComputationStateSnapshot[]): boolean =>
    p.length === q.length &&
    p.every((x, i) => {
      const y = q[i]!;
      return (
        x.state === y.state &&
        x.entry === y.entry &&
        x.version === y.version &&
        x.startTimestamp === y.startTimestamp &&
        x.previousTimestamp === y.previousTimestamp &&
        x.startEventTimestamp === y.startEventTimestamp &&
        x.startEventId === y.startEventId
      );
    });
  return sameMatches(a.partialMatches, b.partialMatches) && sameMatches(a.completedMatches, b.completedMatches);
}

/** Rebuilds a state from `snapshot` over `states` (the compiled NFA's states, found by name). */
export function restoreNFAState<T>(snapshot: NFAStateSnapshot<T>, states: ReadonlyArray<State<T>>): NFAState<T> {
  const byName = new Map(states.map((s) => [s.name, s]));
  const events: Array<BufferEvent<T>> = snapshot.events.map((e) => ({ id: e.id, timestamp: e.timestamp, value: e.value, refs: e.refs, firstNode: null }));
  const nodes: Array<SharedBufferNode<T>> = snapshot.nodes.map((n) => {
    const ev = events[n.event]!;
    const node = newNode(ev, n.stage, n.refs);
    node.nextOfEvent = ev.firstNode;
    ev.firstNode = node;
    return node;
  });
  snapshot.nodes.forEach((n, i) => {
    for (const e of n.edges) addEdge(nodes[i]!, e.target < 0 ? null : nodes[e.target]!, DeweyNumber.fromString(e.version), e.refs);
  });
  const eventsById = new Map(events.map((e) => [e.id, e]));
  const csOf = (c: ComputationStateSnapshot): ComputationState<T> => {
    const state = byName.get(c.state);
    if (state === undefined) throw new Error(`The snapshot names NFA state '${c.state}', which this pattern does not have (was it compiled from another pattern?)`);
    const entry = c.entry < 0 ? null : nodes[c.entry]!;
    // The timestamps are the events' own (see ComputationState): a snapshot where they are not cannot be this pattern's.
    const previous = entry === null ? -1 : entry.event.timestamp;
    const start = c.startEventId < 0 ? -1 : c.startEventTimestamp;
    if (c.previousTimestamp !== previous || c.startTimestamp !== start) {
      throw new Error(
        `The snapshot's partial match in NFA state '${c.state}' has timestamps (start ${c.startTimestamp}, previous ${c.previousTimestamp}) ` +
          `other than its events' (${start}, ${previous}); it was not written by a tidemark CEP operator`,
      );
    }
    const startEvent = c.startEventId < 0 ? null : (eventsById.get(c.startEventId) ?? { id: c.startEventId, timestamp: c.startEventTimestamp });
    return new ComputationState(state, entry, DeweyNumber.fromString(c.version), startEvent);
  };
  const restored = new NFAState<T>(snapshot.partialMatches.map(csOf), snapshot.completedMatches.map(csOf));
  restored.sharedBuffer.restoreCounters(snapshot.nextEventId, events.length, nodes.length);
  return restored;
}
