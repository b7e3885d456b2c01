/**
 * Batches across threads. Structured clone of an array of small objects costs far more than the
 * work done on them, so batches whose records are numbers, or tuples / plain objects of one shape
 * with number and string fields, travel as columns: Int32Array or Float64Array buffers that are
 * transferred (not copied), and arrays of strings. Anything else falls back to structured clone.
 */
import type { ControlElement, StreamBatch } from './elements.ts';

type Column = Int32Array | Float64Array | string[];

export interface ColumnarBatch {
  readonly columnar: true;
  /** 'value': each record is the column value; 'tuple': an array; 'object': a plain object. */
  readonly shape: 'value' | 'tuple' | 'object';
  readonly keys: string[] | null;
  readonly columns: Column[];
  readonly t: Float64Array;
  readonly c: ControlElement[] | null;
}

export type WireBatch = StreamBatch | ColumnarBatch;

const MIN_COLUMNAR = 16;

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as object | null;
  return proto === Object.prototype || proto === null;
}

/** Encodes a batch; `transfer` lists the buffers to move with postMessage. */
export function encodeBatch(batch: StreamBatch): { message: WireBatch; transfer: ArrayBuffer[] } {
  const v = batch.v;
  const n = v.length;
  if (n < MIN_COLUMNAR) return { message: batch, transfer: [] };
  const first = v[0];
  let shape: ColumnarBatch['shape'];
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
    if (keys.includes('__proto__')) return { message: batch, transfer: [] };
  } else {
    return { message: batch, transfer: [] };
  }
  if (width === 0 || width > 16) return { message: batch, transfer: [] };
  // Columns are typed by the first record: numbers into a Float64Array (narrowed to Int32Array when
  // every value is an int32), strings into an array. Any other value, or a change of type or shape,
  // sends the batch by structured clone instead.
  const numeric: Array<Float64Array | null> = [];
  const strings: Array<string[] | null> = [];
  const ints: boolean[] = [];
  const r0 = v[0];
  for (let j = 0; j < width; j++) {
    const x = shape === 'value' ? r0 : shape === 'tuple' ? (r0 as unknown[])[j] : (r0 as Record<string, unknown>)[keys![j]!];
    if (typeof x === 'number') {
      numeric.push(new Float64Array(n));
      strings.push(null);
    } else if (typeof x === 'string') {
      numeric.push(null);
      strings.push(new Array<string>(n));
    } else return { message: batch, transfer: [] };
    ints.push(true);
  }
  for (let i = 0; i < n; i++) {
    const r = v[i];
    if (shape === 'tuple') {
      if (!Array.isArray(r) || r.length !== width) return { message: batch, transfer: [] };
    } else if (shape === 'object') {
      if (r === null || typeof r !== 'object' || Array.isArray(r) || !isPlainObject(r)) return { message: batch, transfer: [] };
      let count = 0;
      for (const _k in r) count++;
      if (count !== width) return { message: batch, transfer: [] };
    }
    for (let j = 0; j < width; j++) {
      const x = shape === 'value' ? r : shape === 'tuple' ? (r as unknown[])[j] : (r as Record<string, unknown>)[keys![j]!];
      if (typeof x === 'number') {
        const col = numeric[j];
        if (col === null) return { message: batch, transfer: [] };
        col![i] = x;
        if (ints[j] && ((x | 0) !== x || (x === 0 && 1 / x < 0))) ints[j] = false;
      } else if (typeof x === 'string') {
        const col = strings[j];
        if (col === null) return { message: batch, transfer: [] };
        col![i] = x;
      } else return { message: batch, transfer: [] };
    }
  }
  const columns: Column[] = numeric.map((col, j) => (col === null ? strings[j]! : ints[j] ? Int32Array.from(col) : col));
  const t = Float64Array.from(batch.t);
  const transfer: ArrayBuffer[] = [t.buffer as ArrayBuffer];
  for (const c of columns) if (!Array.isArray(c)) transfer.push(c.buffer as ArrayBuffer);
  return { message: { columnar: true, shape, keys, columns, t, c: batch.c }, transfer };
}

const objectMakers = new Map<string, (cols: Column[], i: number) => unknown>();

/** A function building one plain object of the given keys: a literal, so records get the usual hidden class. */
function objectMaker(keys: string[]): (cols: Column[], i: number) => unknown {
  const id = JSON.stringify(keys);
  let make = objectMakers.get(id);
  if (make === undefined) {
    const fields = keys.map((k, j) => `${JSON.stringify(k)}: c[${j}][i]`).join(', ');
    make = new Function('c', 'i', `return { ${fields} };`) as (cols: Column[], i: number) => unknown;
    objectMakers.set(id, make);
  }
  return make;
}

export function decodeBatch(message: WireBatch): StreamBatch {
  if (!('columnar' in message)) return message;
  const { shape, columns } = message;
  const n = message.t.length;
  const v = new Array<unknown>(n);
  if (shape === 'value') {
    const c = columns[0]!;
    for (let i = 0; i < n; i++) v[i] = c[i];
  } else if (shape === 'tuple') {
    const w = columns.length;
    for (let i = 0; i < n; i++) {
      const r = new Array<unknown>(w);
      for (let j = 0; j < w; j++) r[j] = columns[j]![i];
      v[i] = r;
    }
  } else {
    const make = objectMaker(message.keys!);
    for (let i = 0; i < n; i++) v[i] = make(columns, i);
  }
  return { v, t: Array.from(message.t), c: message.c };
}
