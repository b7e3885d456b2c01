/**
 * The shared versioned buffer of the CEP NFA (Flink's SharedBuffer / SharedBufferAccessor). Events
 * are stored once; each (stage, event) pair taken by some partial match is a node whose edges point
 * to the previous node of that partial match, labelled with the partial match's Dewey version.
 * Branches share their common prefix instead of copying it; a match is extracted by walking back
 * along the edges compatible with its version.
 *
 * Locking follows Flink: a partial match locks its node and the node's edges compatible with its
 * version; releasing walks back and drops edges (and then nodes and events) nobody holds, so a
 * discarded branch leaves no edge behind that a later extraction could follow, and a key with no
 * partial matches holds nothing. Nodes and events are plain objects referenced directly (no ids to
 * look up on the hot path).
 */
import type { DeweyNumber } from '../dewey-number.ts';

/**
 * An event in the buffer (Flink's EventId + the event): `id` is a per-buffer sequence number
 * (arrival order); events order by (timestamp, id).
 */
export interface BufferEvent<T> {
  readonly id: number;
  readonly timestamp: number;
  readonly value: T;
  /** Holders: the nodes that took it, and the NFA while it processes the event. */
  refs: number;
  /** Nodes of this event, one per stage that took it. */
  nodes: Array<SharedBufferNode<T>> | null;
}

export interface SharedBufferEdge<T> {
  readonly target: SharedBufferNode<T> | null;
  readonly version: DeweyNumber;
  refs: number;
}

/** A node (Flink's NodeId + SharedBufferNode): the stage that took the event, and its edges back. */
export interface SharedBufferNode<T> {
  readonly event: BufferEvent<T>;
  readonly stage: string;
  readonly edges: Array<SharedBufferEdge<T>>;
  refs: number;
}

/** Orders events as Flink's EventId: by timestamp, then arrival. */
export function compareEvents(a: { id: number; timestamp: number }, b: { id: number; timestamp: number }): number {
  return a.timestamp !== b.timestamp ? (a.timestamp < b.timestamp ? -1 : 1) : a.id - b.id;
}

/** One path through the buffer: stage name -> the stage's events, in stage order of first appearance. */
export type EventPath<T> = Map<string, Array<BufferEvent<T>>>;

export class SharedBuffer<T> {
  private nextEventId = 0;
  private events = 0;
  private nodes = 0;

  /**
   * Stores an event, locked once for the caller (Flink's EventWrapper); the caller releases it with
   * `releaseEvent` when done, which drops it unless some node took it.
   */
  registerEvent(value: T, timestamp: number): BufferEvent<T> {
    this.events++;
    return { id: this.nextEventId++, timestamp, value, refs: 1, nodes: null };
  }

  releaseEvent(event: BufferEvent<T>): void {
    if (--event.refs === 0) this.events--;
  }

  /**
   * Records that the partial match with `version` took `event` in `stage`, after the node `previous`
   * (null for the first event of a match). The new edge starts unlocked: the computation state
   * created for it locks it with `lockNode`.
   */
  put(stage: string, event: BufferEvent<T>, previous: SharedBufferNode<T> | null, version: DeweyNumber): SharedBufferNode<T> {
    if (previous !== null) this.lockNode(previous, version);
    let node: SharedBufferNode<T> | undefined;
    const nodes = event.nodes;
    if (nodes !== null) {
      for (let i = 0; i < nodes.length; i++) if (nodes[i]!.stage === stage) node = nodes[i];
    }
    if (node === undefined) {
      node = { event, stage, edges: [], refs: 0 };
      if (nodes === null) event.nodes = [node];
      else nodes.push(node);
      event.refs++;
      this.nodes++;
    }
    node.edges.push({ target: previous, version, refs: 0 });
    return node;
  }

  /** One more holder of the node and of its edges compatible with `version`. */
  lockNode(node: SharedBufferNode<T>, version: DeweyNumber): void {
    node.refs++;
    const edges = node.edges;
    for (let i = 0; i < edges.length; i++) if (version.isCompatibleWith(edges[i]!.version)) edges[i]!.refs++;
  }

  /**
   * A holder of `version` lets go of the node: its compatible edges are released (and removed at
   * zero, continuing to their targets), then the node (removed at zero, with its event).
   */
  releaseNode(start: SharedBufferNode<T>, startVersion: DeweyNumber): void {
    const nodes: Array<SharedBufferNode<T>> = [start];
    const versions: DeweyNumber[] = [startVersion];
    while (nodes.length > 0) {
      const node = nodes.pop()!;
      const version = versions.pop()!;
      const edges = node.edges;
      for (let i = 0; i < edges.length; i++) {
        const edge = edges[i]!;
        if (!version.isCompatibleWith(edge.version)) continue;
        if (--edge.refs <= 0) {
          edges.splice(i--, 1);
          if (edge.target !== null) {
            nodes.push(edge.target);
            versions.push(edge.version);
          }
        }
      }
      if (--node.refs <= 0) this.removeNode(node);
    }
  }

  private removeNode(node: SharedBufferNode<T>): void {
    const ev = node.event;
    const list = ev.nodes!;
    list.splice(list.indexOf(node), 1);
    if (list.length === 0) ev.nodes = null;
    this.nodes--;
    this.releaseEvent(ev);
  }

  /**
   * Every path ending at `node` for a partial match of `version`: stage name -> events in order.
   * Walks back along edges whose version the path's version is compatible with.
   */
  extractPatterns(node: SharedBufferNode<T>, version: DeweyNumber): Array<EventPath<T>> {
    const results: Array<EventPath<T>> = [];
    const path: Array<SharedBufferNode<T>> = [];
    const walk = (n: SharedBufferNode<T>, v: DeweyNumber): void => {
      path.push(n);
      for (const edge of n.edges) {
        if (!v.isCompatibleWith(edge.version)) continue;
        if (edge.target === null) results.push(toPath(path));
        else walk(edge.target, edge.version);
      }
      path.pop();
    };
    walk(node, version);
    return results;
  }

  /** Nothing is held: no events, no nodes. */
  isEmpty(): boolean {
    return this.events === 0 && this.nodes === 0;
  }
  numEvents(): number {
    return this.events;
  }
  numNodes(): number {
    return this.nodes;
  }
}

/** A path collected from the last node back to the first, as stage -> events (first event first). */
function toPath<T>(reversed: Array<SharedBufferNode<T>>): EventPath<T> {
  const m: EventPath<T> = new Map();
  for (let i = reversed.length - 1; i >= 0; i--) {
    const n = reversed[i]!;
    const list = m.get(n.stage);
    if (list === undefined) m.set(n.stage, [n.event]);
    else list.push(n.event);
  }
  return m;
}

/** The events' values of a path (Flink's materializeMatch). */
export function materialize<T>(path: EventPath<T>): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const [stage, events] of path) {
    const values: T[] = new Array(events.length);
    for (let i = 0; i < events.length; i++) values[i] = events[i]!.value;
    m.set(stage, values);
  }
  return m;
}
