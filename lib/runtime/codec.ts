/**
 * Batches across threads. Structured clone of an array of small objects costs far more than the
 * work done on them, so batches whose records are numbers or strings, or tuples / plain objects of
 * one shape with number and string fields, travel as columns: Int32Array or Float64Array buffers
 * that are transferred (not copied), and arrays of strings. Anything else falls back to structured
 * clone. The loops that split records into columns and build them again are generated once per
 * record shape, so every field access in them is a plain, monomorphic property load.
 */
import type { ControlElement, StreamBatch } from './elements.ts';

type Column = Int32Array | Float64Array | string[];
type Shape = 'value' | 'tuple' | 'object';

export interface ColumnarBatch {
  readonly columnar: true;
  /** 'value': each record is the column value; 'tuple': an array; 'object': a plain object. */
  readonly shape: Shape;
  readonly keys: string[] | null;
  readonly columns: Column[];
  readonly t: Float64Array;
  readonly c: ControlElement[] | null;
}

export type WireBatch = StreamBatch | ColumnarBatch;

const MIN_COLUMNAR = 16;
const MAX_WIDTH = 16;

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as object | null;
  return proto === Object.prototype || proto === null;
}

/**
 * Fills the columns from the records, or returns false when a record does not fit (then the batch
 * goes by structured clone). `ints[j]` ends true when every value of numeric column j is an int32.
 */
type Splitter = (v: unknown[], n: number, cols: Array<Float64Array | string[]>, ints: boolean[], isPlain: (o: object) => boolean) => boolean;

const splitters = new Map<string, Splitter>();

function fieldExpr(shape: Shape, keys: string[] | null, j: number): string {
  if (shape === 'value') return 'r';
  return shape === 'tuple' ? `r[${j}]` : `r[${JSON.stringify(keys![j])}]`;
}

const NO_SPLIT: Splitter = () => false;

function splitter(shape: Shape, keys: string[] | null, width: number, strings: boolean[]): Splitter {
  const id = `${shape}|${JSON.stringify(keys)}|${width}|${strings.map(Number).join('')}`;
  let fn = splitters.get(id);
  if (fn !== undefined) return fn;
  const lines: string[] = [];
  for (let j = 0; j < width; j++) lines.push(`const c${j} = cols[${j}]; let i${j} = true;`);
  lines.push('for (let i = 0; i < n; i++) {', 'const r = v[i];');
  if (shape === 'tuple') lines.push(`if (!Array.isArray(r) || r.length !== ${width}) return false;`);
  if (shape === 'object') {
    // Same key count and every expected key present: no field can be dropped on the way.
    lines.push("if (r === null || typeof r !== 'object' || Array.isArray(r) || !isPlain(r)) return false;");
    lines.push(`let count = 0; for (const _ in r) count++; if (count !== ${width}) return false;`);
  }
  for (let j = 0; j < width; j++) {
    const x = `x${j}`;
    lines.push(`const ${x} = ${fieldExpr(shape, keys, j)};`);
    if (strings[j]) {
      lines.push(`if (typeof ${x} !== 'string') return false; c${j}[i] = ${x};`);
    } else {
      lines.push(`if (typeof ${x} !== 'number') return false; c${j}[i] = ${x};`);
      lines.push(`if (i${j} && ((${x} | 0) !== ${x} || (${x} === 0 && 1 / ${x} < 0))) i${j} = false;`);
    }
  }
  lines.push('}');
  for (let j = 0; j < width; j++) lines.push(`ints[${j}] = i${j};`);
  lines.push('return true;');
  try {
    fn = new Function('v', 'n', 'cols', 'ints', 'isPlain', lines.join('\n')) as Splitter;
  } catch {
    // Code generation from strings is disallowed (node --disallow-code-generation-from-strings):
    // no batch splits, every one goes by the fallback (and no joiner is ever needed).
    fn = NO_SPLIT;
  }
  splitters.set(id, fn);
  return fn;
}

const FALLBACK = (batch: StreamBatch): { message: WireBatch; transfer: ArrayBuffer[] } => ({ message: batch, transfer: [] });

/** Encodes a batch; `transfer` lists the buffers to move with postMessage. */
export function encodeBatch(batch: StreamBatch): { message: WireBatch; transfer: ArrayBuffer[] } {
  const v = batch.v;
  const n = v.length;
  if (n < MIN_COLUMNAR) return FALLBACK(batch);
  const first = v[0];
  let shape: Shape;
  let keys: string[] | null = null;
  let width: number;
  if (typeof first === 'number' || typeof first === 'string') {
    shape = 'value';
    width = 1;
  } else if (Array.isArray(first)) {
    shape = 'tuple';
    width = first.length;
  } else if (first !== null && typeof first === 'object' && isPlainObject(first)) {
    shape = 'object';
    keys = Object.keys(first);
    width = keys.length;
    // In a literal, "__proto__" would set the prototype instead of a field: such records go by clone.
    if (keys.includes('__proto__')) return FALLBACK(batch);
  } else {
    return FALLBACK(batch);
  }
  if (width === 0 || width > MAX_WIDTH) return FALLBACK(batch);
  // Column types come from the first record; a record that disagrees sends the batch by clone.
  const strings: boolean[] = [];
  const cols: Array<Float64Array | string[]> = [];
  for (let j = 0; j < width; j++) {
    const x = shape === 'value' ? first : shape === 'tuple' ? (first as unknown[])[j] : (first as Record<string, unknown>)[keys![j]!];
    if (typeof x === 'number') {
      strings.push(false);
      cols.push(new Float64Array(n));
    } else if (typeof x === 'string') {
      strings.push(true);
      cols.push(new Array<string>(n));
    } else return FALLBACK(batch);
  }
  const ints = new Array<boolean>(width);
  if (!splitter(shape, keys, width, strings)(v, n, cols, ints, isPlainObject)) return FALLBACK(batch);
  const columns: Column[] = cols.map((c, j) => (Array.isArray(c) ? c : ints[j] ? Int32Array.from(c) : c));
  const t = Float64Array.from(batch.t);
  const transfer: ArrayBuffer[] = [t.buffer as ArrayBuffer];
  for (const c of columns) if (!Array.isArray(c)) transfer.push(c.buffer as ArrayBuffer);
  return { message: { columnar: true, shape, keys, columns, t, c: batch.c }, transfer };
}

type Joiner = (cols: Column[], n: number, v: unknown[]) => void;
const joiners = new Map<string, Joiner>();

/** A loop building the records from columns: literals, so records get the usual hidden class. */
function joiner(shape: Shape, keys: string[] | null, columns: Column[]): Joiner {
  const kinds = columns.map((c) => (Array.isArray(c) ? 's' : c instanceof Int32Array ? 'i' : 'f')).join('');
  const id = `${shape}|${JSON.stringify(keys)}|${kinds}`;
  let fn = joiners.get(id);
  if (fn !== undefined) return fn;
  const w = columns.length;
  const lines: string[] = [];
  for (let j = 0; j < w; j++) lines.push(`const c${j} = cols[${j}];`);
  let record: string;
  if (shape === 'value') record = 'c0[i]';
  else if (shape === 'tuple') record = `[${Array.from({ length: w }, (_, j) => `c${j}[i]`).join(', ')}]`;
  else record = `{ ${keys!.map((k, j) => `${JSON.stringify(k)}: c${j}[i]`).join(', ')} }`;
  lines.push(`for (let i = 0; i < n; i++) v[i] = ${record};`);
  fn = new Function('cols', 'n', 'v', lines.join('\n')) as Joiner;
  joiners.set(id, fn);
  return fn;
}

export function decodeBatch(message: WireBatch): StreamBatch {
  if (!('columnar' in message)) return message;
  const n = message.t.length;
  const v = new Array<unknown>(n);
  joiner(message.shape, message.keys, message.columns)(message.columns, n, v);
  const t = new Array<number>(n);
  const ts = message.t;
  for (let i = 0; i < n; i++) t[i] = ts[i]!;
  return { v, t, c: message.c };
}
