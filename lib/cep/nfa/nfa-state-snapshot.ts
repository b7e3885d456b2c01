/**
 * A key's NFA state as plain data and back (the role of Flink's NFAStateSerializer and the shared
 * buffer's MapStates): partial matches name their NFA state and point into flat tables of buffered
 * events and (stage, event) nodes, with versions as Dewey strings and every lock count kept, so a
 * restored state behaves exactly as the one snapshotted. The data is structured-clone- and (for JSON
 * events) JSON-safe; the NFA it is restored into must be compiled from the same pattern.
 */
import { DeweyNumber } from './dewey-number.ts';
import { addEdge, edgesOf, newNode, type BufferEvent, type SharedBufferNode } from './sharedbuffer/shared-buffer.ts';
import { ComputationState, NFAState } from './nfa.ts';
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
  const state = compact === null ? compactOrGeneral : compact.owner.generalCopy(compactOrGeneral);
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
