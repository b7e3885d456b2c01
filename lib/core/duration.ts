/**
 * Durations at the API surface: a number of milliseconds, a luxon Duration, an ISO-8601 string
 * (`'PT1H'`) or Flink's text form (`'5 s'`, `'10 min'`, `'500ms'`, `'2 hours'`, `'1 d'`). Inside the
 * engine every duration is a number of milliseconds.
 * ```ts
 * WatermarkStrategy.forBoundedOutOfOrderness('5 s');
 * ```
 */
import { Duration } from 'luxon';

/**
 * A luxon Duration, by the part of its shape tidemark uses: the published types do not make users
 * install luxon's types (@types/luxon). At run time only a real luxon Duration is taken.
 */
export interface LuxonDuration {
  toMillis(): number;
  readonly isValid: boolean;
  readonly invalidExplanation: string | null;
}

export type DurationLike = number | string | LuxonDuration;

const UNITS: Array<[RegExp, number]> = [
  [/^(ms|milli|millis|millisecond|milliseconds)$/, 1],
  [/^(s|sec|secs|second|seconds)$/, 1000],
  [/^(m|min|mins|minute|minutes)$/, 60_000],
  [/^(h|hour|hours)$/, 3_600_000],
  [/^(d|day|days)$/, 86_400_000],
];

/** Milliseconds of a duration; throws a RangeError naming the bad input. */
export function toMillis(duration: DurationLike, what = 'duration'): number {
  let ms: number;
  if (typeof duration === 'number') {
    ms = duration;
  } else if (Duration.isDuration(duration)) {
    if (!duration.isValid) throw new RangeError(`Invalid ${what}: ${duration.invalidExplanation ?? 'invalid luxon Duration'}`);
    ms = duration.toMillis();
  } else if (typeof duration === 'string') {
    const text = duration.trim();
    if (/^P/i.test(text)) {
      const d = Duration.fromISO(text.toUpperCase());
      if (!d.isValid) throw new RangeError(`Invalid ${what} '${duration}': not an ISO-8601 duration`);
      ms = d.toMillis();
    } else {
      const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text);
      if (m === null) throw new RangeError(`Invalid ${what} '${duration}': expected a number and a unit, like '5 s', '10 min' or 'PT1H'`);
      const unitText = m[2]!.toLowerCase();
      const unit = unitText === '' ? 1 : UNITS.find(([re]) => re.test(unitText))?.[1];
      if (unit === undefined) throw new RangeError(`Invalid ${what} '${duration}': unknown unit '${m[2]}' (ms, s, min, h, d)`);
      ms = Number(m[1]) * unit;
    }
  } else {
    throw new TypeError(`Invalid ${what}: expected milliseconds, a string like '5 s' or a luxon Duration`);
  }
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`Invalid ${what}: ${String(duration)} is not a non-negative, finite duration`);
  return Math.round(ms);
}
