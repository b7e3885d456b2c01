/**
 * The shared versioned buffer of the CEP NFA (Flink's SharedBuffer / SharedBufferAccessor). Events
 * are stored once; each (stage, event) pair taken by some partial match is a node whose edges point to
 * the previous node of that partial match, labelled with the partial match's Dewey version. Branches
 * of the NFA share their common prefix instead of copying it; a match is extracted by walking back
 * along the edges compatible with its version. Nodes and events are reference-counted and released
 * when no partial match needs them, so keys with no partial matches hold nothing.
 */
import type { DeweyNumber } from '../dewey-number.ts';

/** An event in the buffer: a per-buffer sequence number (arrival order) and its timestamp. */
export interface EventId {
  readonly id: number;
  readonly timestamp: number;
}

/** A node: the stage that took the event, and the event. */
export interface NodeId {
  readonly eventId: EventId;
  readonly stageName: string;
}

interface Edge {
  readonly target: NodeKey | null;
  readonly version: DeweyNumber;
}

type NodeKey = string;

interface Node {
  readonly id: NodeId;
  readonly edges: Edge[];
  refs: number;
}

interface StoredEvent<T> {
  readonly value: T;
  refs: number;
}

const keyOf = (n: NodeId): NodeKey => `${n.eventId.id}|${n.stageName}`;

export class SharedBuffer<T> {
  private readonly events = new Map<number, StoredEvent<T>>();
  private readonly nodes = new Map<NodeKey, Node>();
  private nextEventId = 0;

  /** Stores an event (not yet referenced by any node). */
  registerEvent(value: T, timestamp: number): EventId {
    const id = this.nextEventId++;
    this.events.set(id, { value, refs: 0 });
    return { id, timestamp };
  }

  /**
   * Records that the partial match with `version` took `eventId` in `stageName`, after the node
   * `previous` (null for the first event of a match). Returns the node, locked once for the caller.
   */
  put(stageName: string, eventId: EventId, previous: NodeId | null, version: DeweyNumber): NodeId {
    const key = keyOf({ eventId, stageName });
    let node = this.nodes.get(key);
    if (node === undefined) {
      const ev = this.events.get(eventId.id);
      if (ev === undefined) throw new Error(`Event ${eventId.id} is not in the shared buffer`);
      ev.refs++;
      node = { id: { eventId, stageName }, edges: [], refs: 0 };
      this.nodes.set(key, node);
    }
    const prevKey = previous === null ? null : keyOf(previous);
    if (prevKey !== null) {
      const prev = this.nodes.get(prevKey);
      if (prev === undefined) throw new Error(`Node ${prevKey} is not in the shared buffer`);
      prev.refs++; // held by this edge
    }
    node.edges.push({ target: prevKey, version });
    node.refs++; // held by the caller (a computation state)
    return node.id;
  }

  /** One more holder of the node (a computation state that branches). */
  lockNode(nodeId: NodeId): void {
    const node = this.nodes.get(keyOf(nodeId));
    if (node === undefined) throw new Error(`Node ${keyOf(nodeId)} is not in the shared buffer`);
    node.refs++;
  }

  /** A holder lets go of the node; unreferenced nodes (and the nodes and events only they held) are removed. */
  releaseNode(nodeId: NodeId): void {
    const stack: NodeKey[] = [keyOf(nodeId)];
    while (stack.length > 0) {
      const key = stack.pop()!;
      const node = this.nodes.get(key);
      if (node === undefined) continue;
      if (--node.refs > 0) continue;
      this.nodes.delete(key);
      for (const e of node.edges) if (e.target !== null) stack.push(e.target);
      this.releaseEvent(node.id.eventId);
    }
  }

  private releaseEvent(eventId: EventId): void {
    const ev = this.events.get(eventId.id);
    if (ev !== undefined && --ev.refs <= 0) this.events.delete(eventId.id);
  }

  /** Drops an event that no node took (an event no partial match used). */
  releaseUnusedEvent(eventId: EventId): void {
    const ev = this.events.get(eventId.id);
    if (ev !== undefined && ev.refs === 0) this.events.delete(eventId.id);
  }

  /**
   * Every match ending at `nodeId` for a partial match of `version`: stage name -> events in order.
   * Walks back along edges whose version the path's version is compatible with.
   */
  extractPatterns(nodeId: NodeId, version: DeweyNumber): Array<Map<string, T[]>> {
    const results: Array<Map<string, T[]>> = [];
    const walk = (key: NodeKey, v: DeweyNumber, path: NodeId[]): void => {
      const node = this.nodes.get(key);
      if (node === undefined) throw new Error(`Node ${key} is not in the shared buffer`);
      const here = [node.id, ...path];
      for (const edge of node.edges) {
        if (!v.isCompatibleWith(edge.version)) continue;
        if (edge.target === null) results.push(this.materialize(here));
        else walk(edge.target, edge.version, here);
      }
    };
    walk(keyOf(nodeId), version, []);
    return results;
  }

  private materialize(path: NodeId[]): Map<string, T[]> {
    const m = new Map<string, T[]>();
    for (const n of path) {
      const ev = this.events.get(n.eventId.id);
      if (ev === undefined) throw new Error(`Event ${n.eventId.id} is not in the shared buffer`);
      const list = m.get(n.stageName);
      if (list === undefined) m.set(n.stageName, [ev.value]);
      else list.push(ev.value);
    }
    return m;
  }

  /** Nothing is held: no events, no nodes. */
  isEmpty(): boolean {
    return this.events.size === 0 && this.nodes.size === 0;
  }

  numEvents(): number {
    return this.events.size;
  }
  numNodes(): number {
    return this.nodes.size;
  }
}
