/**
 * How the engine handles a user function (Flink's FunctionUtils): calling a plain function and a
 * function object alike, finding its rich side, and giving each subtask its own copy.
 */
import type { RichFunction } from './rich-function.ts';

/** Turns a plain function or a function object into a callable bound once (never per record). */
export function toCallable<F>(fn: unknown, method: string, what: string): F {
  if (typeof fn === 'function') return fn as F;
  const m = fn !== null && typeof fn === 'object' ? (fn as Record<string, unknown>)[method] : undefined;
  if (typeof m !== 'function') {
    throw new TypeError(`${what} must be a function or an object with a ${method}() method`);
  }
  return (m as (...args: unknown[]) => unknown).bind(fn) as F;
}

/** The rich-function side of a user function object, if any. */
export function asRichFunction(fn: unknown): RichFunction | undefined {
  if (fn !== null && typeof fn === 'object') {
    const r = fn as RichFunction;
    if (typeof r.open === 'function' || typeof r.close === 'function' || typeof r.setRuntimeContext === 'function') return r;
  }
  return undefined;
}

/**
 * Each parallel subtask gets its own copy of a function object, as Flink gives each subtask its own
 * deserialized instance: fields (counters, caches) are per subtask in every execution mode. The copy
 * is deep and keeps prototypes; functions and closures are shared (they cannot be copied), so an
 * arrow function stored in a field by the constructor still refers to the original object: create
 * such closures in `open()`, which runs on the subtask's copy.
 */
export function copyForSubtask<F>(fn: F): F {
  if (fn === null || typeof fn !== 'object') return fn;
  return deepCopy(fn, new Map()) as F;
}

function deepCopy(v: unknown, seen: Map<object, unknown>): unknown {
  if (v === null || typeof v !== 'object') return v;
  const done = seen.get(v);
  if (done !== undefined) return done;
  if (v instanceof Date) return new Date(v.getTime());
  if (v instanceof RegExp || ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Promise || v instanceof WeakMap || v instanceof WeakSet) return v;
  if (Array.isArray(v)) {
    const a: unknown[] = [];
    seen.set(v, a);
    for (const x of v) a.push(deepCopy(x, seen));
    return a;
  }
  if (v instanceof Map) {
    const m = new Map();
    seen.set(v, m);
    for (const [k, x] of v) m.set(k, deepCopy(x, seen));
    return m;
  }
  if (v instanceof Set) {
    const s = new Set();
    seen.set(v, s);
    for (const x of v) s.add(deepCopy(x, seen));
    return s;
  }
  const copy = Object.create(Object.getPrototypeOf(v) as object | null) as Record<PropertyKey, unknown>;
  seen.set(v, copy);
  for (const key of Reflect.ownKeys(v)) {
    const d = Object.getOwnPropertyDescriptor(v, key)!;
    if ('value' in d) d.value = deepCopy(d.value, seen);
    Object.defineProperty(copy, key, d);
  }
  return copy;
}
