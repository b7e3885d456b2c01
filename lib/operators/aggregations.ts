/**
 * The built-in keyed aggregations (Flink's SumAggregator and ComparableAggregator) as reduce
 * functions over a tuple index or a field name. `sum/min/max` keep the other fields of the first
 * record of the key; `minBy/maxBy` return the whole record holding the extreme value (the first
 * such record on ties).
 */
export type FieldRef = number | string;
export type AggregationType = 'sum' | 'min' | 'max' | 'minBy' | 'maxBy';

function read(value: unknown, field: FieldRef, op: string): unknown {
  if (value === null || typeof value !== 'object') {
    if (field === 0 || field === '*') return value; // a plain number stream aggregates itself
    throw new TypeError(`${op}(${JSON.stringify(field)}) needs tuples (arrays) or objects, got ${typeof value}`);
  }
  const v = (value as Record<string | number, unknown>)[field];
  if (v === undefined) throw new TypeError(`${op}(${JSON.stringify(field)}): the record has no field ${JSON.stringify(field)}`);
  return v;
}

function withField(record: unknown, field: FieldRef, v: unknown): unknown {
  if (record === null || typeof record !== 'object') return v;
  if (Array.isArray(record)) {
    const copy = record.slice();
    copy[field as number] = v;
    return copy;
  }
  return { ...(record as Record<string, unknown>), [field]: v };
}

function add(a: unknown, b: unknown): unknown {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a + b;
  throw new TypeError(`sum() needs number or bigint fields, got ${typeof a} and ${typeof b}`);
}

function less(a: unknown, b: unknown): boolean {
  return (a as number) < (b as number);
}

export function aggregationReducer(type: AggregationType, field: FieldRef): (a: unknown, b: unknown) => unknown {
  switch (type) {
    case 'sum':
      return (a, b) => withField(a, field, add(read(a, field, type), read(b, field, type)));
    case 'min':
      return (a, b) => {
        const va = read(a, field, type);
        const vb = read(b, field, type);
        return less(vb, va) ? withField(a, field, vb) : a;
      };
    case 'max':
      return (a, b) => {
        const va = read(a, field, type);
        const vb = read(b, field, type);
        return less(va, vb) ? withField(a, field, vb) : a;
      };
    case 'minBy':
      return (a, b) => (less(read(b, field, type), read(a, field, type)) ? b : a);
    case 'maxBy':
      return (a, b) => (less(read(a, field, type), read(b, field, type)) ? b : a);
  }
}
