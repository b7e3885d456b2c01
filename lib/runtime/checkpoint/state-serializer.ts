/**
 * A subtask's state as bytes (Flink's TaskStateSnapshot written by the state backends' serializers).
 * The task serializes its snapshot synchronously at the barrier: the heap backends' snapshots share
 * value objects with live state, so the bytes are the copy the checkpoint holds, and the job may go
 * on mutating its state while the bytes are written asynchronously (checkpoint-storage.ts).
 *
 * Values are written with v8.serialize (the structured clone algorithm). When that fails, the
 * offending entry is searched for (only then: no cost on success) so the CheckpointException names
 * the operator, the state and the key.
 */
import { deserialize, serialize } from 'node:v8';
import { CheckpointException, describeValue } from '../../core/errors.ts';
import type { OperatorSnapshot } from '../../state/stream-task-state-initializer.ts';
import type { KeyedStateSnapshot, SnapshotEntry } from '../../state/heap-keyed-state-backend.ts';
import type { TimerEntry, TimersSnapshot } from '../../state/timers/internal-timer-service.ts';
import { VOID_NAMESPACE, type Namespace } from '../../state/namespace.ts';
import type { SubtaskStateSnapshot } from './checkpoint-types.ts';

/**
 * The bytes of a subtask's snapshot. Throws a CheckpointException (reason
 * CHECKPOINT_DECLINED_SERIALIZATION) naming the operator (id and, via `operatorNames`, name), the
 * state, the key and the namespace of a value v8.serialize cannot write.
 */
export function serializeSubtaskState(snapshot: SubtaskStateSnapshot, operatorNames?: (operatorId: string) => string): Uint8Array {
  try {
    return serialize(encodeSubtask(snapshot));
  } catch (e) {
    throw serializationFailure(snapshot, e, operatorNames);
  }
}

/** A subtask's snapshot from the bytes serializeSubtaskState wrote. */
export function deserializeSubtaskState(bytes: Uint8Array): SubtaskStateSnapshot {
  const s = deserialize(bytes) as (Partial<SubtaskStateSnapshot> & { stateFormat?: unknown }) | null;
  if (
    typeof s !== 'object' ||
    s === null ||
    typeof s.vertexId !== 'number' ||
    typeof s.subtaskIndex !== 'number' ||
    typeof s.finished !== 'boolean' ||
    !Array.isArray(s.operators) ||
    !Array.isArray(s.committables)
  ) {
    throw new TypeError('The bytes do not hold a subtask state snapshot (vertexId, subtaskIndex, finished, operators, committables)');
  }
  if (s.stateFormat !== STATE_FORMAT) throw new TypeError(`The bytes hold subtask state of format ${describeValue(s.stateFormat)}; this version of tidemark reads format ${STATE_FORMAT}`);
  return decodeSubtask(s as unknown as EncodedSubtask);
}

/*
 * The layout written: keyed state and timers by (key group, state) as columns (keys, namespaces,
 * values, ...), not one small array per entry. v8.serialize writes a few large arrays several times
 * faster than a million small ones, and this is the synchronous part of a checkpoint. A column of
 * namespaces that are all the void namespace is left out. Fields of the snapshot this file does not
 * know are carried as they are.
 */
const STATE_FORMAT = 1;

type Column = unknown[] | null;
/** One state's entries in one key group: `lastAccess` null when no entry has one; `entries` when the entries are not uniform. */
type KeyedColumns = readonly [keyGroup: number, name: string, keys: unknown[], namespaces: Column, values: unknown[], lastAccess: Column] | readonly [keyGroup: number, name: string, entries: SnapshotEntry[]];
/** Timers of one key group: `orders` null when no timer has one; `entries` when they are not uniform. */
type TimerColumns = readonly [keyGroup: number, keys: unknown[], namespaces: Column, timestamps: number[], orders: Column] | readonly [keyGroup: number, entries: TimerEntry[]];

interface EncodedSubtask extends Omit<SubtaskStateSnapshot, 'operators'> {
  readonly stateFormat: number;
  readonly operators: ReadonlyArray<Record<string, unknown>>;
}

function encodeSubtask(snapshot: SubtaskStateSnapshot): EncodedSubtask {
  return { ...snapshot, stateFormat: STATE_FORMAT, operators: snapshot.operators.map(encodeOperator) };
}

function encodeOperator(op: OperatorSnapshot): Record<string, unknown> {
  const out: Record<string, unknown> = { ...op };
  if (op.keyed !== undefined) {
    const groups: KeyedColumns[] = [];
    for (const [kg, byName] of Object.entries(op.keyed.keyGroups)) {
      for (const [name, entries] of Object.entries(byName)) groups.push(encodeKeyedGroup(Number(kg), name, entries));
    }
    out.keyed = { maxParallelism: op.keyed.maxParallelism, kinds: op.keyed.kinds, groups };
  }
  if (op.timers !== undefined) {
    const timers: Record<string, { eventTime: TimerColumns[]; processingTime: TimerColumns[] }> = {};
    for (const [service, t] of Object.entries(op.timers)) {
      timers[service] = {
        eventTime: Object.entries(t.eventTime).map(([kg, entries]) => encodeTimerGroup(Number(kg), entries)),
        processingTime: Object.entries(t.processingTime).map(([kg, entries]) => encodeTimerGroup(Number(kg), entries)),
      };
    }
    out.timers = timers;
  }
  return out;
}

function encodeKeyedGroup(kg: number, name: string, entries: SnapshotEntry[]): KeyedColumns {
  const n = entries.length;
  const width = n === 0 ? 3 : entries[0]!.length;
  const keys = new Array<unknown>(n);
  const values = new Array<unknown>(n);
  let namespaces: unknown[] | null = null;
  const lastAccess: unknown[] | null = width === 4 ? new Array<unknown>(n) : null;
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    if (!Array.isArray(e) || e.length !== width) return [kg, name, entries]; // not uniform: as it is
    keys[i] = e[0];
    values[i] = e[2];
    if (lastAccess !== null) lastAccess[i] = e[3];
    if (e[1] !== VOID_NAMESPACE && namespaces === null) {
      namespaces = new Array<unknown>(n);
      for (let j = 0; j < i; j++) namespaces[j] = VOID_NAMESPACE;
    }
    if (namespaces !== null) namespaces[i] = e[1];
  }
  return width === 3 || width === 4 ? [kg, name, keys, namespaces, values, lastAccess] : [kg, name, entries];
}

function encodeTimerGroup(kg: number, entries: TimerEntry[]): TimerColumns {
  const n = entries.length;
  const width = n === 0 ? 3 : entries[0]!.length;
  const keys = new Array<unknown>(n);
  const timestamps = new Array<number>(n);
  let namespaces: unknown[] | null = null;
  const orders: unknown[] | null = width === 4 ? new Array<unknown>(n) : null;
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    if (!Array.isArray(e) || e.length !== width) return [kg, entries];
    keys[i] = e[0];
    timestamps[i] = e[2];
    if (orders !== null) orders[i] = e[3];
    if (e[1] !== VOID_NAMESPACE && namespaces === null) {
      namespaces = new Array<unknown>(n);
      for (let j = 0; j < i; j++) namespaces[j] = VOID_NAMESPACE;
    }
    if (namespaces !== null) namespaces[i] = e[1];
  }
  return width === 3 || width === 4 ? [kg, keys, namespaces, timestamps, orders] : [kg, entries];
}

function decodeSubtask(encoded: EncodedSubtask): SubtaskStateSnapshot {
  const { stateFormat: _, operators, ...rest } = encoded;
  return { ...rest, operators: operators.map(decodeOperator) };
}

function decodeOperator(op: Record<string, unknown>): OperatorSnapshot {
  const out: Record<string, unknown> = { ...op };
  const keyed = op.keyed as { maxParallelism: number; kinds: Record<string, string>; groups: KeyedColumns[] } | undefined;
  if (keyed !== undefined) {
    const keyGroups: Record<number, Record<string, SnapshotEntry[]>> = {};
    for (const g of keyed.groups) {
      const byName = (keyGroups[g[0]] ??= {});
      if (g.length === 3) {
        byName[g[1]] = g[2];
        continue;
      }
      const [, name, keys, namespaces, values, lastAccess] = g;
      const entries = new Array<SnapshotEntry>(keys.length);
      for (let i = 0; i < keys.length; i++) {
        const ns = (namespaces === null ? VOID_NAMESPACE : namespaces[i]) as Namespace;
        entries[i] = lastAccess === null ? [keys[i], ns, values[i]] : [keys[i], ns, values[i], lastAccess[i] as number];
      }
      byName[name] = entries;
    }
    out.keyed = { maxParallelism: keyed.maxParallelism, kinds: keyed.kinds, keyGroups } satisfies KeyedStateSnapshot;
  }
  const timers = op.timers as Record<string, { eventTime: TimerColumns[]; processingTime: TimerColumns[] }> | undefined;
  if (timers !== undefined) {
    const decoded: TimersSnapshot = {};
    for (const [service, t] of Object.entries(timers)) decoded[service] = { eventTime: decodeTimers(t.eventTime), processingTime: decodeTimers(t.processingTime) };
    out.timers = decoded;
  }
  return out as unknown as OperatorSnapshot;
}

function decodeTimers(groups: TimerColumns[]): Record<number, TimerEntry[]> {
  const out: Record<number, TimerEntry[]> = {};
  for (const g of groups) {
    if (g.length === 2) {
      out[g[0]] = g[1];
      continue;
    }
    const [kg, keys, namespaces, timestamps, orders] = g;
    const entries = new Array<TimerEntry>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const ns = (namespaces === null ? VOID_NAMESPACE : namespaces[i]) as Namespace;
      entries[i] = orders === null ? [keys[i], ns, timestamps[i]!] : [keys[i], ns, timestamps[i]!, orders[i] as number];
    }
    out[kg] = entries;
  }
  return out;
}

const ADVICE =
  'Checkpoints write state with v8.serialize (the structured clone algorithm): functions, symbols, WeakMaps, Promises and ' +
  'objects holding them cannot be written, and class instances lose their prototype (they are restored as plain objects). ' +
  'Keep plain data in state, or give the state descriptor a serializer that turns its values into plain data (descriptor.withSerializer({ serialize, deserialize })).';

/** Where in a snapshot the value that cannot be serialized is. */
interface Offender {
  readonly operatorId?: string;
  /** e.g. `keyed state 'count'`, `operator state 'offsets'`, `timer service 'window-timers'`. */
  readonly state: string;
  readonly hasKey: boolean;
  readonly key?: unknown;
  readonly namespace?: unknown;
  /** What part of the entry is bad: `value`, `key`, `namespace`, `committable`. */
  readonly part: string;
  readonly value: unknown;
}

function serializationFailure(snapshot: SubtaskStateSnapshot, cause: unknown, operatorNames?: (operatorId: string) => string): CheckpointException {
  const where = `vertex ${snapshot.vertexId}, subtask index ${snapshot.subtaskIndex}`;
  let offender: Offender | undefined;
  try {
    offender = findOffender(snapshot);
  } catch {
    offender = undefined; // a getter that throws, a revoked Proxy: say what is known
  }
  if (offender === undefined) {
    return new CheckpointException(`Checkpoint declined: the state of ${where} could not be serialized (${oneLine(cause)}). ${ADVICE}`, 'CHECKPOINT_DECLINED_SERIALIZATION', {
      cause,
      context: { subtask: snapshot.subtaskIndex },
    });
  }
  const id = offender.operatorId;
  let name = id;
  if (id !== undefined && operatorNames !== undefined) {
    try {
      name = operatorNames(id) ?? id;
    } catch {
      name = id;
    }
  }
  const operator = id === undefined ? '' : `operator '${name}' (id '${id}'), `;
  const key = offender.hasKey ? ` for key ${describeValue(offender.key, true)}` : '';
  const ns = offender.namespace === undefined || isVoid(offender.namespace) ? '' : ` in namespace ${describeValue(offender.namespace, true)}`;
  const bad = findUnserializable(offender.value, offender.part);
  const what = bad === undefined ? `its ${offender.part}` : `${bad.path} is ${typeName(bad.value)}`;
  const topType = isClassInstance(offender.value) && bad !== undefined && bad.value !== offender.value ? ` (${offender.part} is ${typeName(offender.value)})` : '';
  return new CheckpointException(
    `Checkpoint declined: ${operator}${where}: ${offender.state}${key}${ns} cannot be serialized: ${what}${topType}. ${ADVICE}`,
    'CHECKPOINT_DECLINED_SERIALIZATION',
    {
      cause,
      context: {
        ...(name === undefined ? {} : { operator: name }),
        subtask: snapshot.subtaskIndex,
        ...(offender.hasKey ? { key: offender.key } : {}),
      },
    },
  );
}

/** V8's message quotes the source of a function it could not clone: its first and last lines are enough. */
function oneLine(cause: unknown): string {
  const lines = describeValue(cause instanceof Error ? cause.message : cause).split('\n');
  return lines.length === 1 ? lines[0]! : `${lines[0]} … ${lines[lines.length - 1]!.trim()}`;
}

function isVoid(ns: unknown): boolean {
  return ns === VOID_NAMESPACE || (typeof ns === 'object' && ns !== null && (ns as { id?: unknown }).id === VOID_NAMESPACE.id);
}

function canSerialize(v: unknown): boolean {
  try {
    serialize(v);
    return true;
  } catch {
    return false;
  }
}

/** The first entry of the snapshot that v8.serialize refuses. */
function findOffender(snapshot: SubtaskStateSnapshot): Offender | undefined {
  for (const op of snapshot.operators) {
    if (canSerialize(op)) continue;
    const found = findInOperator(op);
    if (found !== undefined) return found;
    return { operatorId: op.operatorId, state: 'its snapshot', hasKey: false, part: 'snapshot', value: op };
  }
  for (const c of snapshot.committables) {
    if (canSerialize(c)) continue;
    const i = c.committables.findIndex((x) => !canSerialize(x));
    return {
      operatorId: c.operatorId,
      state: `committable ${i < 0 ? '' : `${i} `}of checkpoint ${c.checkpointId}`,
      hasKey: false,
      part: 'committable',
      value: i < 0 ? c : c.committables[i],
    };
  }
  return undefined;
}

function findInOperator(op: OperatorSnapshot): Offender | undefined {
  const operatorId = op.operatorId;
  if (op.keyed !== undefined) {
    for (const byName of Object.values(op.keyed.keyGroups)) {
      for (const [name, entries] of Object.entries(byName)) {
        for (const [key, namespace, value, lastAccess] of entries) {
          const state = `keyed state '${name}'`;
          if (!canSerialize(key)) return { operatorId, state, hasKey: true, key, namespace, part: 'key', value: key };
          if (!canSerialize(namespace)) return { operatorId, state, hasKey: true, key, namespace, part: 'namespace', value: namespace };
          if (!canSerialize(value)) return { operatorId, state, hasKey: true, key, namespace, part: 'value', value };
          if (!canSerialize(lastAccess)) return { operatorId, state, hasKey: true, key, namespace, part: 'last access time', value: lastAccess };
        }
      }
    }
  }
  if (op.timers !== undefined) {
    for (const [service, s] of Object.entries(op.timers)) {
      for (const [domain, groups] of [
        ['event-time', s.eventTime],
        ['processing-time', s.processingTime],
      ] as const) {
        for (const timers of Object.values(groups)) {
          for (const [key, namespace, timestamp] of timers) {
            const state = `${domain} timer at ${timestamp} of timer service '${service}'`;
            if (!canSerialize(key)) return { operatorId, state, hasKey: true, key, namespace, part: 'key', value: key };
            if (!canSerialize(namespace)) return { operatorId, state, hasKey: true, key, namespace, part: 'namespace', value: namespace };
          }
        }
      }
    }
  }
  for (const [name, { mode, entries }] of Object.entries(op.operator)) {
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (canSerialize(entry)) continue;
      if (mode === 'BROADCAST' && Array.isArray(entry) && entry.length === 2) {
        // A broadcast state entry is [key, value].
        const [key, value] = entry as [unknown, unknown];
        const state = `broadcast state '${name}'`;
        if (!canSerialize(key)) return { operatorId, state, hasKey: true, key, part: 'key', value: key };
        return { operatorId, state, hasKey: true, key, part: 'value', value };
      }
      return { operatorId, state: `operator state '${name}' (entry ${i})`, hasKey: false, part: 'value', value: entry };
    }
  }
  return undefined;
}

/** The innermost part of `v` that v8.serialize refuses, with its path from `v` (e.g. `value.handler`). */
function findUnserializable(v: unknown, path: string, seen = new Set<object>()): { path: string; value: unknown } | undefined {
  if (typeof v === 'function' || typeof v === 'symbol') return { path, value: v };
  if (typeof v !== 'object' || v === null || canSerialize(v)) return undefined;
  if (seen.has(v) || seen.size > 10_000) return { path, value: v };
  seen.add(v);
  if (v instanceof Map) {
    for (const [k, x] of v) {
      const at = `${path}.get(${describeValue(k, true, 0)})`;
      const found = findUnserializable(k, `${at} (its key)`, seen) ?? findUnserializable(x, at, seen);
      if (found !== undefined) return found;
    }
  } else if (v instanceof Set) {
    for (const x of v) {
      const found = findUnserializable(x, `${path} (an element of the Set)`, seen);
      if (found !== undefined) return found;
    }
  } else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const found = findUnserializable(v[i], `${path}[${i}]`, seen);
      if (found !== undefined) return found;
    }
  } else {
    for (const k of Object.keys(v)) {
      const found = findUnserializable((v as Record<string, unknown>)[k], /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`, seen);
      if (found !== undefined) return found;
    }
  }
  return { path, value: v }; // refused as a whole: a WeakMap, a Promise, a Proxy, ...
}

function isClassInstance(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto !== null && proto !== Object.prototype && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Set);
}

/** `a function (handler)`, `a Symbol(x)`, `a WeakMap`, `an instance of class Session`. */
function typeName(v: unknown): string {
  if (typeof v === 'function') return `a function${v.name === '' ? '' : ` (${v.name})`}`;
  if (typeof v === 'symbol') return `a ${v.toString()}`;
  if (typeof v !== 'object' || v === null) return `a ${typeof v}`;
  let ctor = '';
  try {
    const c = (Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    ctor = typeof c === 'string' ? c : '';
  } catch {
    ctor = '';
  }
  if (ctor === '' || ctor === 'Object') return 'an object';
  if (isClassInstance(v) && !/^(Weak|Promise|Proxy|WeakRef|Date|RegExp|Error)/.test(ctor)) return `an instance of class ${ctor}`;
  return `a ${ctor}`;
}
