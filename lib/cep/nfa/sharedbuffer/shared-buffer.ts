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
  /**
   * Nodes of this event, one per stage that took it: the first, the others linked through
   * `nextOfEvent` (usually one stage takes an event: no list object per event).
   */
  firstNode: SharedBufferNode<T> | null;
}

/** An edge back from a node, as edgesOf lists them. */
export interface SharedBufferEdge<T> {
  readonly target: SharedBufferNode<T> | null;
  readonly version: DeweyNumber;
  readonly refs: number;
}

/**
 * A node (Flink's NodeId + SharedBufferNode): the stage that took the event, and its edges back.
 * An edge is a target node (null: the match's first event), a version and a lock count. Most nodes
 * have one edge: it is held in the node's own fields (`version0` null: none there); from a second
 * edge on, all of them are in `edges`, three slots each, in order. Nodes live as long as their
 * partial matches, and the garbage collector copies and marks every object they hold: no edge
 * objects, and no array for a single edge.
 */
export interface SharedBufferNode<T> {
  readonly event: BufferEvent<T>;
  readonly stage: string;
  refs: number;
  /** The next node of the same event (another stage that took it), or null. */
  nextOfEvent: SharedBufferNode<T> | null;
  target0: SharedBufferNode<T> | null;
  version0: DeweyNumber | null;
  refs0: number;
  /** Every edge, flat (target, version, lock count), once the node had two; null before. */
  edges: unknown[] | null;
}

/** An edge's slots in SharedBufferNode.edges: target, version, lock count. */
const EDGE_SLOTS = 3;

/** The edges of a node as objects, in order (snapshots, tests). */
export function edgesOf<T>(node: SharedBufferNode<T>): Array<SharedBufferEdge<T>> {
  const e = node.edges;
  if (e === null) return node.version0 === null ? [] : [{ target: node.target0, version: node.version0, refs: node.refs0 }];
  const out: Array<SharedBufferEdge<T>> = [];
  for (let i = 0; i < e.length; i += EDGE_SLOTS) {
    out.push({ target: e[i] as SharedBufferNode<T> | null, version: e[i + 1] as DeweyNumber, refs: e[i + 2] as number });
  }
  return out;
}

/** A node with no edges yet. */
export function newNode<T>(event: BufferEvent<T>, stage: string, refs: number): SharedBufferNode<T> {
  return { event, stage, refs, nextOfEvent: null, target0: null, version0: null, refs0: 0, edges: null };
}

/** Appends an edge (with its lock count as given: 0 for a new one, the snapshot's for a restored node). */
export function addEdge<T>(node: SharedBufferNode<T>, target: SharedBufferNode<T> | null, version: DeweyNumber, refs: number): void {
  const e = node.edges;
  if (e !== null) {
    e.push(target, version, refs);
  } else if (node.version0 === null) {
    node.target0 = target;
    node.version0 = version;
    node.refs0 = refs;
  } else {
    node.edges = [node.target0, node.version0, node.refs0, target, version, refs];
    node.target0 = null;
    node.version0 = null;
    node.refs0 = 0;
  }
}

/** Scratch stacks of releaseNode (their length returns to where it was after every call). */
const releaseStack: Array<SharedBufferNode<unknown>> = [];
const releaseVersions: DeweyNumber[] = [];

/** Orders events as Flink's EventId: by timestamp, then arrival. */
export function compareEvents(a: { id: number; timestamp: number }, b: { id: number; timestamp: number }): number {
  return a.timestamp !== b.timestamp ? (a.timestamp < b.timestamp ? -1 : 1) : a.id - b.id;
}

/** One path through the buffer: stage name -> the stage's events, in stage order of first appearance. */
export type EventPath<T> = Map<string, Array<BufferEvent<T>>>;

export class SharedBuffer<T> {
  private nextId = 0;
  private events = 0;
  private nodes = 0;

  /**
   * Stores an event, locked once for the caller (Flink's EventWrapper); the caller releases it with
   * `releaseEvent` when done, which drops it unless some node took it.
   */
  registerEvent(value: T, timestamp: number): BufferEvent<T> {
    this.events++;
    return { id: this.nextId++, timestamp, value, refs: 1, firstNode: null };
  }

  /** Takes the next event id (arrival order), for an event that may be stored later with storeEvent. */
  nextEventId(): number {
    return this.nextId++;
  }

  /**
   * Stores an event whose id nextEventId gave, unlocked: the caller puts it into a node right away
   * (which holds it), as the NFA does when a partial match first takes the event it is processing.
   */
  storeEvent(id: number, value: T, timestamp: number): BufferEvent<T> {
    this.events++;
    return { id, timestamp, value, refs: 0, firstNode: null };
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
    let node = event.firstNode;
    while (node !== null && node.stage !== stage) node = node.nextOfEvent;
    if (node === null) {
      node = { event, stage, refs: 0, nextOfEvent: event.firstNode, target0: previous, version0: version, refs0: 0, edges: null };
      event.firstNode = node;
      event.refs++;
      this.nodes++;
    } else {
      addEdge(node, previous, version, 0);
    }
    return node;
  }

  /** One more holder of the node and of its edges compatible with `version`. */
  lockNode(node: SharedBufferNode<T>, version: DeweyNumber): void {
    node.refs++;
    const edges = node.edges;
    if (edges === null) {
      const v0 = node.version0;
      if (v0 !== null && version.isCompatibleWith(v0)) node.refs0++;
      return;
    }
    for (let i = 0; i < edges.length; i += EDGE_SLOTS) {
      if (version.isCompatibleWith(edges[i + 1] as DeweyNumber)) edges[i + 2] = (edges[i + 2] as number) + 1;
    }
  }

  /**
   * A holder of `version` lets go of the node: its compatible edges are released (and removed at
   * zero, continuing to their targets), then the node (removed at zero, with its event).
   */
  releaseNode(start: SharedBufferNode<T>, startVersion: DeweyNumber): void {
    // Depth-first over the edges that drop to zero, on a stack shared by all buffers (this runs
    // synchronously and does not re-enter): nothing is allocated per call.
    const nodes = releaseStack as Array<SharedBufferNode<T>>;
    const versions = releaseVersions;
    const base = nodes.length; // 0 unless a release ever threw halfway
    nodes.push(start);
    versions.push(startVersion);
    while (nodes.length > base) {
      const node = nodes.pop()!;
      const version = versions.pop()!;
      const edges = node.edges;
      if (edges === null) {
        const v0 = node.version0;
        if (v0 !== null && version.isCompatibleWith(v0) && --node.refs0 <= 0) {
          const target = node.target0;
          if (target !== null) {
            nodes.push(target);
            versions.push(v0);
          }
          node.target0 = null;
          node.version0 = null;
          node.refs0 = 0;
        }
        if (--node.refs <= 0) this.removeNode(node);
        continue;
      }
      // Compatible edges are released; those that reach zero are dropped (compacting in place,
      // in order) and their targets released in turn.
      let w = 0;
      const n = edges.length;
      for (let i = 0; i < n; i += EDGE_SLOTS) {
        const v = edges[i + 1] as DeweyNumber;
        let refs = edges[i + 2] as number;
        if (version.isCompatibleWith(v) && --refs <= 0) {
          const target = edges[i] as SharedBufferNode<T> | null;
          if (target !== null) {
            nodes.push(target);
            versions.push(v);
          }
          continue;
        }
        if (w !== i) edges[w] = edges[i];
        edges[w + 1] = v;
        edges[w + 2] = refs;
        w += EDGE_SLOTS;
      }
      for (let k = w; k < n; k++) edges.pop(); // not edges.length = w: setting the length is a runtime call
      if (--node.refs <= 0) this.removeNode(node);
    }
  }

  private removeNode(node: SharedBufferNode<T>): void {
    const ev = node.event;
    if (ev.firstNode === node) {
      ev.firstNode = node.nextOfEvent;
    } else {
      let prev = ev.firstNode!;
      while (prev.nextOfEvent !== node) prev = prev.nextOfEvent!;
      prev.nextOfEvent = node.nextOfEvent;
    }
    node.nextOfEvent = null;
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
      const edges = n.edges;
      if (edges === null) {
        const v0 = n.version0;
        if (v0 !== null && v.isCompatibleWith(v0)) {
          if (n.target0 === null) results.push(toPath(path));
          else walk(n.target0, v0);
        }
        path.pop();
        return;
      }
      for (let i = 0; i < edges.length; i += EDGE_SLOTS) {
        const ev = edges[i + 1] as DeweyNumber;
        if (!v.isCompatibleWith(ev)) continue;
        const target = edges[i] as SharedBufferNode<T> | null;
        if (target === null) results.push(toPath(path));
        else walk(target, ev);
      }
      path.pop();
    };
    walk(node, version);
    return results;
  }

  /**
   * The first path extractPatterns would list for `node` and `version`, as its nodes (the last
   * event's first) written to `out`; returns how many (0: no path). Allocates nothing.
   */
  firstPath(node: SharedBufferNode<T>, version: DeweyNumber, out: Array<SharedBufferNode<T> | undefined>): number {
    return firstPathFrom(node, version, out, 0);
  }

  /** Counters of a buffer rebuilt from a snapshot (NFA.restoreState): next event id, events and nodes held. */
  restoreCounters(nextEventId: number, events: number, nodes: number): void {
    this.nextId = nextEventId;
    this.events = events;
    this.nodes = nodes;
  }
  /** The id the next event will get. */
  peekNextEventId(): number {
    return this.nextId;
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

function firstPathFrom<T>(n: SharedBufferNode<T>, v: DeweyNumber, out: Array<SharedBufferNode<T> | undefined>, depth: number): number {
  out[depth] = n;
  const edges = n.edges;
  if (edges === null) {
    const v0 = n.version0;
    if (v0 === null || !v.isCompatibleWith(v0)) return 0;
    return n.target0 === null ? depth + 1 : firstPathFrom(n.target0, v0, out, depth + 1);
  }
  for (let i = 0; i < edges.length; i += EDGE_SLOTS) {
    const ev = edges[i + 1] as DeweyNumber;
    if (!v.isCompatibleWith(ev)) continue;
    const target = edges[i] as SharedBufferNode<T> | null;
    if (target === null) return depth + 1;
    const found = firstPathFrom(target, ev, out, depth + 1);
    if (found > 0) return found;
  }
  return 0;
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
