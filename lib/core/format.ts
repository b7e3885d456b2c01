/**
 * How records print: arrays as Flink tuples `(hello,2)`, strings as they are, objects as JSON,
 * everything else with String().
 */
export function formatRecord(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    let s = '(';
    for (let i = 0; i < value.length; i++) s += (i > 0 ? ',' : '') + formatRecord(value[i]);
    return s + ')';
  }
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') {
    if (value instanceof Map) return formatRecord(Object.fromEntries(value));
    const own = (value as { toString?: () => string }).toString;
    if (typeof own === 'function' && own !== Object.prototype.toString) return own.call(value);
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  }
  return String(value);
}

/** A CSV row of a tuple or a single value (Flink's writeAsCsv writes tuples). */
export function formatCsvRow(value: unknown, fieldDelimiter: string): string {
  const field = (v: unknown): string => {
    const s = formatRecord(v);
    return s.includes(fieldDelimiter) || s.includes('"') || s.includes('\n') ? `"${s.replace(/"/g, '""')}"` : s;
  };
  if (Array.isArray(value)) return value.map(field).join(fieldDelimiter);
  if (value !== null && typeof value === 'object') return Object.values(value).map(field).join(fieldDelimiter);
  return field(value);
}
