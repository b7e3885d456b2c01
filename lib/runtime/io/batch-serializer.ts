/**
 * The framing of the binary exchange: a StreamBatch as one frame of bytes, and back. Independent of
 * the transport (a SharedArrayBuffer ring between threads today, a socket between processes later).
 *
 * Frame: u32 body length, then the body, then zero padding to a multiple of FRAME_ALIGN bytes:
 *   u32 records n | u8 kind (SHAPED / SERIALIZED) | u16 shape length + shape (ASCII) |
 *   n × f64 timestamps | records | u32 control length + control elements (v8.serialize), 0 when none.
 * The padding keeps a byte ring's positions word-aligned: V8 copies into and out of a SharedArrayBuffer
 * a word at a time only when both ends are aligned, byte by byte (6× slower) otherwise.
 * SHAPED records are written field by field by an encoder generated once per record shape (numbers as
 * f64, so -0, NaN and ±Infinity survive; booleans; ASCII strings; tuples and plain objects of those,
 * nested); the decoder builds them as literals in the same key order. A batch whose records do not
 * all fit the first record's shape is SERIALIZED: its values go by a v8 Serializer (structured clone).
 */
import { Deserializer, deserialize, serialize, Serializer } from 'node:v8';
import { TidemarkError } from '../../core/errors.ts';
import type { ControlElement, StreamBatch } from '../elements.ts';

/** Every frame's length is a multiple of this; a frame is at least this long. */
export const FRAME_ALIGN = 8;

/** The length of a frame whose body is `bodyLength` bytes (prefix and padding included). */
export function frameLength(bodyLength: number): number {
  return Math.ceil((4 + bodyLength) / FRAME_ALIGN) * FRAME_ALIGN; // not `& -8`: a body may pass 2^31 bytes
}

const SHAPED = 0;
const SERIALIZED = 1;
const MAX_SHAPE_DEPTH = 4;
const MAX_SHAPE_WIDTH = 32;
const MAX_SHAPE_BYTES = 0xffff;

/** A record shape: a number, a boolean, a string, or a tuple / plain object of shapes. */
type Shape = 'n' | 'b' | 's' | { t: Shape[] } | { o: string[]; f: Shape[] };

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as object | null;
  return proto === Object.prototype;
}

/** The shape of `v`, or undefined when it has none we encode (null, undefined, class instances, ...). */
function shapeOf(v: unknown, depth: number): Shape | undefined {
  switch (typeof v) {
    case 'number':
      return 'n';
    case 'boolean':
      return 'b';
    case 'string':
      return 's';
    case 'object': {
      if (v === null || depth >= MAX_SHAPE_DEPTH) return undefined;
      if (Array.isArray(v)) {
        if (v.length === 0 || v.length > MAX_SHAPE_WIDTH) return undefined;
        // Structured clone keeps an array's other properties (`a.extra = 1`): such arrays go by the fallback.
        if (Object.keys(v).length !== v.length) return undefined;
        const t: Shape[] = [];
        for (let i = 0; i < v.length; i++) {
          if (!(i in v)) return undefined; // a hole
          const s = shapeOf(v[i], depth + 1);
          if (s === undefined) return undefined;
          t.push(s);
        }
        return { t };
      }
      if (!isPlainObject(v)) return undefined;
      const o = Object.keys(v);
      if (o.length === 0 || o.length > MAX_SHAPE_WIDTH) return undefined;
      // Only names that are plain identifiers-as-strings in generated code; "__proto__" sets a prototype in a literal.
      for (const k of o) if (k === '__proto__' || !/^[\x20-\x7e]*$/.test(k)) return undefined;
      // Integer-like keys are enumerated before the others whatever the insertion order: a literal keeps that.
      const f: Shape[] = [];
      for (const k of o) {
        const s = shapeOf((v as Record<string, unknown>)[k], depth + 1);
        if (s === undefined) return undefined;
        f.push(s);
      }
      return { o, f };
    }
    default:
      return undefined;
  }
}

/** Encoder of one shape: writes n records from `pos`; returns the end, -1 (a record has another shape) or -2 (no room). */
type Encoder = (v: unknown[], n: number, dv: DataView, u8: Uint8Array, pos: number, cap: number, isPlain: (o: object) => boolean) => number;
/** Decoder of one shape: reads n records into `v` from `pos`; returns the end. */
type Decoder = (v: unknown[], n: number, dv: DataView, u8: Uint8Array, pos: number, str: (u8: Uint8Array, pos: number, len: number) => string) => number;

const encoders = new Map<string, Encoder>();
const decoders = new Map<string, Decoder>();

/** Code writing the value `x` of shape `s` (variables get the suffix `id`). */
function encodeCode(s: Shape, x: string, id: { n: number }, out: string[]): void {
  const k = id.n++;
  if (s === 'n') {
    out.push(`if (typeof ${x} !== 'number') return -1; if (pos + 8 > cap) return -2; dv.setFloat64(pos, ${x}, true); pos += 8;`);
  } else if (s === 'b') {
    out.push(`if (typeof ${x} !== 'boolean') return -1; if (pos + 1 > cap) return -2; u8[pos++] = ${x} ? 1 : 0;`);
  } else if (s === 's') {
    // ASCII only (one byte a character); anything else sends the batch serialized.
    out.push(
      `if (typeof ${x} !== 'string') return -1;`,
      `{ const L${k} = ${x}.length; if (pos + 4 + L${k} > cap) return -2; dv.setUint32(pos, L${k}, true); pos += 4;`,
      `for (let j = 0; j < L${k}; j++) { const ch = ${x}.charCodeAt(j); if (ch > 127) return -1; u8[pos++] = ch; } }`,
    );
  } else if ('t' in s) {
    const r = `t${k}`;
    out.push(`{ const ${r} = ${x}; if (!Array.isArray(${r}) || ${r}.length !== ${s.t.length}) return -1;`);
    // No holes and no other properties (structured clone keeps them): exactly the indexes 0..length-1.
    // (Object.keys is the cheapest check V8 offers, ~100 ns a tuple; objects records do not pay it.)
    out.push(`if (Object.keys(${r}).length !== ${s.t.length}) return -1;`);
    s.t.forEach((fs, j) => {
      const e = `e${k}_${j}`;
      out.push(`{ const ${e} = ${r}[${j}];`);
      if (fs !== 'n' && fs !== 'b' && fs !== 's') out.push(`if (${e} === undefined && !(${j} in ${r})) return -1;`);
      encodeCode(fs, e, id, out);
      out.push('}');
    });
    out.push('}');
  } else {
    const r = `o${k}`;
    out.push(`{ const ${r} = ${x}; if (${r} === null || typeof ${r} !== 'object' || Array.isArray(${r}) || !isPlain(${r})) return -1;`);
    // The same keys in the same order, and no others: the decoded literal has the record's exact key order.
    out.push(`{ let j = 0; for (const key in ${r}) { switch (j++) {`);
    s.o.forEach((key, j) => out.push(`case ${j}: if (key !== ${JSON.stringify(key)}) return -1; break;`));
    out.push(`default: return -1; } } if (j !== ${s.o.length}) return -1; }`);
    s.o.forEach((key, j) => {
      const e = `e${k}_${j}`;
      out.push(`{ const ${e} = ${r}[${JSON.stringify(key)}];`);
      encodeCode(s.f[j]!, e, id, out);
      out.push('}');
    });
    out.push('}');
  }
}

/** An expression reading a value of shape `s` (statements before it go to `out`). */
function decodeCode(s: Shape, id: { n: number }, out: string[]): string {
  const k = id.n++;
  if (s === 'n') {
    out.push(`const d${k} = dv.getFloat64(pos, true); pos += 8;`);
    return `d${k}`;
  }
  if (s === 'b') {
    out.push(`const d${k} = u8[pos++] === 1;`);
    return `d${k}`;
  }
  if (s === 's') {
    out.push(`const L${k} = dv.getUint32(pos, true); pos += 4; const d${k} = str(u8, pos, L${k}); pos += L${k};`);
    return `d${k}`;
  }
  if ('t' in s) {
    const items = s.t.map((fs) => decodeCode(fs, id, out));
    return `[${items.join(', ')}]`;
  }
  const fields = s.o.map((key, j) => `${JSON.stringify(key)}: ${decodeCode(s.f[j]!, id, out)}`);
  return `{ ${fields.join(', ')} }`;
}

/**
 * Generated code per thread is bounded: records whose field names vary (`{ [user]: n }`) would otherwise
 * compile and keep an encoder per batch, without end. Past MAX_ENCODERS shapes, new ones go by the
 * fallback; the decoders (shapes from several producers) are dropped and rebuilt past MAX_DECODERS.
 */
const MAX_ENCODERS = 256;
const MAX_DECODERS = 4096;

/** Set when new Function threw (code generation from strings disallowed): not tried again. */
let noCodeGeneration = false;

function encoderFor(shape: Shape, key: string): Encoder | undefined {
  let fn = encoders.get(key);
  if (fn !== undefined) return fn;
  if (encoders.size >= MAX_ENCODERS || noCodeGeneration) return undefined;
  const out: string[] = ['for (let i = 0; i < n; i++) {', 'const r = v[i];'];
  encodeCode(shape, 'r', { n: 0 }, out);
  out.push('}', 'return pos;');
  try {
    fn = new Function('v', 'n', 'dv', 'u8', 'pos', 'cap', 'isPlain', out.join('\n')) as Encoder;
  } catch {
    // Code generation from strings is disallowed (node --disallow-code-generation-from-strings): the
    // fallback for every shape (so no decoder is ever needed either).
    noCodeGeneration = true;
    return undefined;
  }
  encoders.set(key, fn);
  return fn;
}

function decoderFor(key: string): Decoder {
  let fn = decoders.get(key);
  if (fn !== undefined) return fn;
  if (decoders.size >= MAX_DECODERS) decoders.clear();
  const shape = JSON.parse(key) as Shape;
  const body: string[] = [];
  const expr = decodeCode(shape, { n: 0 }, body);
  const code = ['for (let i = 0; i < n; i++) {', ...body, `v[i] = ${expr};`, '}', 'return pos;'].join('\n');
  fn = new Function('v', 'n', 'dv', 'u8', 'pos', 'str', code) as Decoder;
  decoders.set(key, fn);
  return fn;
}

/**
 * The fallback: the values as structured clone (postMessage, the port exchange) delivers them. A plain
 * v8 Serializer, not v8.serialize: that one sends typed arrays as host objects, so a Buffer came back a
 * Buffer and a view lost its byteOffset, where structured clone gives a Uint8Array over a copy of the
 * whole ArrayBuffer. A SharedArrayBuffer, which postMessage shares, cannot go through bytes: the job
 * fails saying so rather than deliver a copy that is no longer shared.
 */
class CloneSerializer extends Serializer {
  _getSharedArrayBufferId(): number {
    throw new TidemarkError(
      'A record holds a SharedArrayBuffer (or a view of one), which the binary exchange between worker threads cannot share. Set TIDEMARK_EXCHANGE=port (structured clone over MessagePorts shares it), or run with -t inline.',
    );
  }
}

function cloneBytes(v: unknown): Buffer {
  const s = new CloneSerializer();
  s.writeHeader();
  s.writeValue(v);
  return s.releaseBuffer();
}

function uncloneBytes(bytes: Uint8Array): unknown {
  const d = new Deserializer(bytes);
  d.readHeader();
  return d.readValue();
}

/** One-character strings (a record's type tag, say) are interned: no allocation per record. */
const CHARS = Array.from({ length: 128 }, (_, c) => String.fromCharCode(c));

/** A Buffer over the frame being decoded (made once per frame), for longer strings. */
let framed: { u8: Uint8Array; buf: Buffer & { latin1Slice(start: number, end: number): string } } | null = null;

function asciiString(u8: Uint8Array, pos: number, len: number): string {
  if (len === 1) return CHARS[u8[pos]!]!;
  // Up to 12 characters V8 makes a concatenation a flat string; longer ones are sliced from the bytes.
  if (len <= 12) {
    let s = '';
    for (let i = 0; i < len; i++) s += CHARS[u8[pos + i]!]!;
    return s;
  }
  if (framed === null || framed.u8 !== u8) {
    framed = { u8, buf: Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength) as Buffer & { latin1Slice(start: number, end: number): string } };
  }
  return framed.buf.latin1Slice(pos, pos + len);
}

/** Writes batches as frames into one growing buffer it reuses (one serializer per output channel). */
export class BatchSerializer {
  private buf = new ArrayBuffer(64 * 1024);
  private dv = new DataView(this.buf);
  private u8 = new Uint8Array(this.buf);
  /** The shape of the last batch's records and its encoder, tried first on the next batch. */
  private lastShape: { key: string; bytes: Uint8Array; encoder: Encoder } | null = null;

  private grow(min: number): void {
    let size = this.buf.byteLength * 2;
    while (size < min) size *= 2;
    const next = new ArrayBuffer(size);
    new Uint8Array(next).set(this.u8);
    this.buf = next;
    this.dv = new DataView(next);
    this.u8 = new Uint8Array(next);
  }

  /** The frame of `batch`: a view into this serializer's buffer, valid until the next call. */
  serialize(batch: StreamBatch): Uint8Array {
    const v = batch.v;
    const n = v.length;
    for (;;) {
      const end = this.tryShaped(batch, n);
      if (end >= 0) return this.finish(batch, end);
      if (end === -1) break;
      this.grow(this.buf.byteLength * 2);
    }
    // Records of mixed or unsupported shapes: the values by structured clone.
    const values = cloneBytes(v);
    let pos = this.header(n, SERIALIZED, null);
    pos = this.timestamps(batch, n, pos);
    if (pos + 4 + values.length > this.buf.byteLength) this.grow(pos + 4 + values.length);
    this.dv.setUint32(pos, values.length, true);
    this.u8.set(values, pos + 4);
    return this.finish(batch, pos + 4 + values.length);
  }

  /** The end of the shaped frame's records, -1 when the records have no common shape, -2 when the buffer is too small. */
  private tryShaped(batch: StreamBatch, n: number): number {
    let shape = this.lastShape;
    if (n > 0) {
      // Try the previous batch's shape first: a channel's records usually keep theirs.
      let end = -1;
      if (shape !== null) {
        const pos = this.timestamps(batch, n, this.header(n, SHAPED, shape.bytes));
        if (pos < 0) return -2;
        end = shape.encoder(batch.v, n, this.dv, this.u8, pos, this.buf.byteLength, isPlainObject);
        if (end !== -1) return end;
      }
      const s = shapeOf(batch.v[0], 0);
      if (s === undefined) return -1;
      const key = JSON.stringify(s);
      if (shape !== null && key === shape.key) return -1;
      // The frame gives the shape a u16 length: a longer one (long or many field names) goes by the fallback.
      if (key.length > MAX_SHAPE_BYTES) return -1;
      const encoder = encoderFor(s, key);
      if (encoder === undefined) return -1;
      shape = { key, bytes: Buffer.from(key, 'latin1'), encoder };
      this.lastShape = shape;
      const pos = this.timestamps(batch, n, this.header(n, SHAPED, shape.bytes));
      if (pos < 0) return -2;
      return shape.encoder(batch.v, n, this.dv, this.u8, pos, this.buf.byteLength, isPlainObject);
    }
    return this.header(0, SHAPED, null);
  }

  /** Writes the header after the length prefix; returns where the timestamps go (-1 when there is no room). */
  private header(n: number, kind: number, shape: Uint8Array | null): number {
    const len = shape === null ? 0 : shape.length;
    if (11 + len > this.buf.byteLength) this.grow(11 + len);
    this.dv.setUint32(4, n, true);
    this.u8[8] = kind;
    this.dv.setUint16(9, len, true);
    if (shape !== null) this.u8.set(shape, 11);
    return 11 + len;
  }

  private timestamps(batch: StreamBatch, n: number, pos: number): number {
    if (pos + n * 8 > this.buf.byteLength) this.grow(pos + n * 8 + 1024);
    const t = batch.t;
    const dv = this.dv;
    for (let i = 0; i < n; i++, pos += 8) dv.setFloat64(pos, t[i]!, true);
    return pos;
  }

  /** Appends the control elements, the length prefix and the padding. */
  private finish(batch: StreamBatch, pos: number): Uint8Array {
    if (batch.c === null || batch.c.length === 0) {
      if (pos + 4 > this.buf.byteLength) this.grow(pos + 4);
      this.dv.setUint32(pos, 0, true);
      pos += 4;
    } else {
      const c = serialize(batch.c);
      if (pos + 4 + c.length > this.buf.byteLength) this.grow(pos + 4 + c.length);
      this.dv.setUint32(pos, c.length, true);
      this.u8.set(c, pos + 4);
      pos += 4 + c.length;
    }
    this.dv.setUint32(0, pos - 4, true);
    const end = frameLength(pos - 4);
    if (end > this.buf.byteLength) this.grow(end);
    this.u8.fill(0, pos, end);
    return new Uint8Array(this.buf, 0, end);
  }
}

/** Reads the body of one frame (after its length prefix; the padding after it may be there or not) at `body[0..]`. */
export function deserializeBatch(body: Uint8Array): StreamBatch {
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const n = dv.getUint32(0, true);
  const kind = body[4]!;
  const shapeLen = dv.getUint16(5, true);
  let pos = 7;
  const shapeKey = shapeLen === 0 ? '' : Buffer.from(body.buffer, body.byteOffset + pos, shapeLen).toString('latin1');
  pos += shapeLen;
  const t = new Array<number>(n);
  for (let i = 0; i < n; i++, pos += 8) t[i] = dv.getFloat64(pos, true);
  let v: unknown[];
  if (kind === SERIALIZED) {
    const len = dv.getUint32(pos, true);
    v = uncloneBytes(body.subarray(pos + 4, pos + 4 + len)) as unknown[];
    pos += 4 + len;
  } else {
    v = new Array<unknown>(n);
    if (n > 0) pos = decoderFor(shapeKey)(v, n, dv, body, pos, asciiString);
    framed = null; // the frame's buffer is reused for the next one
  }
  const clen = dv.getUint32(pos, true);
  const c = clen === 0 ? null : (deserialize(body.subarray(pos + 4, pos + 4 + clen)) as ControlElement[]);
  return { v, t, c };
}
