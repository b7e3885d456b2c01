/**
 * Timers of a keyed operator (Flink's InternalTimeServiceManager / InternalTimerServiceImpl). An
 * operator asks for named timer services; a timer belongs to a key and a namespace (the void
 * namespace for a process function's timers, the window for a window operator's), is deduplicated
 * per (key, namespace, timestamp), and fires with its key set as the current key. Event-time timers
 * fire when the watermark reaches them, in timestamp order (registration order among equal
 * timestamps), before the operator forwards the watermark; a timer registered while firing that is
 * already due fires in the same pass. Processing-time timers fire from the task's mailbox. Timers are
 * snapshotted by key group with the keyed state.
 */
import { assignToKeyGroup } from '../key-groups.ts';
import { VOID_NAMESPACE, namespaceId, restoreNamespace, type Namespace, type NamespaceSerializer } from '../namespace.ts';
import type { HeapKeyedStateBackend } from '../heap-keyed-state-backend.ts';
import { ProcessingTimerQueue, TimerQueue, type TimerScheduler } from './timer-queue.ts';

export type TimeDomain = 'EVENT_TIME' | 'PROCESSING_TIME';

/** A registered timer (Flink's InternalTimer). */
export interface InternalTimer<K = unknown, N = Namespace> {
  readonly key: K;
  readonly namespace: N;
  readonly timestamp: number;
}

/** What a timer service calls when a timer fires; the timer's key is the current key (Flink's Triggerable). */
export interface Triggerable<K = unknown, N = Namespace> {
  onEventTime(timer: InternalTimer<K, N>): void;
  onProcessingTime(timer: InternalTimer<K, N>): void;
}

/** The timers of one named service, for the current key (Flink's InternalTimerService). */
export interface InternalTimerService<N = Namespace> {
  currentProcessingTime(): number;
  currentWatermark(): number;
  registerEventTimeTimer(namespace: N, time: number): void;
  deleteEventTimeTimer(namespace: N, time: number): void;
  registerProcessingTimeTimer(namespace: N, time: number): void;
  deleteProcessingTimeTimer(namespace: N, time: number): void;
  numEventTimeTimers(): number;
  numProcessingTimeTimers(): number;
  /** Every pending event-time timer of every key (test harness, metrics). */
  eventTimeTimers(): InternalTimer<unknown, N>[];
  /** Every pending processing-time timer of every key. */
  processingTimeTimers(): InternalTimer<unknown, N>[];
}

/**
 * One snapshot entry of a timer: key, namespace, timestamp, and its position among the service's
 * timers of its domain, so timers of equal timestamps fire in registration order after a restore too
 * (key groups alone would reorder them).
 */
export type TimerEntry = [key: unknown, namespace: Namespace, timestamp: number, order?: number];

/** Timers of one service by key group. */
export interface TimerServiceSnapshot {
  readonly eventTime: Record<number, TimerEntry[]>;
  readonly processingTime: Record<number, TimerEntry[]>;
}

/** Timers of all services of an operator subtask, by service name. */
export type TimersSnapshot = Record<string, TimerServiceSnapshot>;

const VOID_ID = namespaceId(VOID_NAMESPACE);

export class InternalTimerServiceImpl<N extends Namespace = Namespace> implements InternalTimerService<N> {
  private readonly eventTime = new TimerQueue<InternalTimer<unknown, N>>();
  private readonly processingTime: ProcessingTimerQueue<InternalTimer<unknown, N>>;
  private watermark = Number.NEGATIVE_INFINITY;
  private readonly fireEventTime = (timer: InternalTimer<unknown, N>): void => {
    this.lastTime = Number.NaN; // the timer registered last may be this one, or fire later in this pass
    this.keyContext.setCurrentKey(timer.key);
    this.triggerable.onEventTime(timer);
  };

  constructor(
    readonly name: string,
    private readonly keyContext: HeapKeyedStateBackend,
    private readonly scheduler: TimerScheduler,
    public triggerable: Triggerable<unknown, N>,
    private readonly namespaceSerializer: NamespaceSerializer = restoreNamespace,
  ) {
    this.processingTime = new ProcessingTimerQueue(scheduler, (timer) => {
      this.keyContext.setCurrentKey(timer.key);
      this.triggerable.onProcessingTime(timer);
    });
  }

  /** A timer's identity: its key (and namespace, when not the void one). */
  private timerId(namespace: N): unknown {
    const ck = this.keyContext.currentCanonicalKey;
    const ns = typeof namespace === 'object' ? namespace.id : namespace;
    if (ns === VOID_ID) return ck;
    // Unambiguous: the key's length delimits it (key 'a|b' in 'c' is not key 'a' in 'b|c'), types are kept (1 vs '1').
    const k = String(ck);
    return `${typeof ck}:${k.length}:${k}|${typeof ns}:${ns}`;
  }

  private timer(namespace: N, time: number): InternalTimer<unknown, N> {
    if (typeof time !== 'number' || Number.isNaN(time)) throw new TypeError(`A timer needs a timestamp in epoch milliseconds, got ${String(time)}`);
    return { key: this.keyContext.currentKey, namespace, timestamp: time };
  }

  currentProcessingTime(): number {
    return this.scheduler.getCurrentProcessingTime();
  }
  currentWatermark(): number {
    return this.watermark;
  }
  /**
   * The event-time timer registered last, while it is certainly still pending (reset by every
   * delete and firing): a window operator registers the same (key, window, time) twice per element
   * (the trigger's timer and the cleanup timer), and most elements of a window find theirs set —
   * the repeat costs a comparison instead of building the timer's id.
   */
  private lastKey: unknown = undefined;
  private lastNamespace: N | undefined = undefined;
  private lastTime = Number.NaN;

  registerEventTimeTimer(namespace: N, time: number): void {
    const ck = this.keyContext.currentCanonicalKey;
    if (time === this.lastTime && namespace === this.lastNamespace && ck === this.lastKey) return;
    const id = this.timerId(namespace);
    if (!this.eventTime.contains(id, time)) this.eventTime.add(id, time, this.timer(namespace, time));
    this.lastKey = ck;
    this.lastNamespace = namespace;
    this.lastTime = time;
  }
  deleteEventTimeTimer(namespace: N, time: number): void {
    this.lastTime = Number.NaN;
    this.eventTime.delete(this.timerId(namespace), time);
  }
  registerProcessingTimeTimer(namespace: N, time: number): void {
    this.processingTime.add(this.timerId(namespace), time, this.timer(namespace, time));
  }
  deleteProcessingTimeTimer(namespace: N, time: number): void {
    this.processingTime.delete(this.timerId(namespace), time);
  }
  numEventTimeTimers(): number {
    return this.eventTime.size;
  }
  numProcessingTimeTimers(): number {
    return this.processingTime.queue.size;
  }
  eventTimeTimers(): InternalTimer<unknown, N>[] {
    return sorted([...this.eventTime.all()]);
  }
  processingTimeTimers(): InternalTimer<unknown, N>[] {
    return sorted([...this.processingTime.queue.all()]);
  }

  /** Fires due event-time timers (the manager calls this before the operator forwards the watermark). */
  advanceWatermark(watermark: number): void {
    this.watermark = watermark;
    this.eventTime.fireUpTo(watermark, this.fireEventTime);
    this.lastTime = Number.NaN;
  }

  /** A restored operator's watermark: the service is at it, without firing anything (its timers are later ones). */
  restoreWatermark(watermark: number): void {
    if (watermark > this.watermark) this.watermark = watermark;
  }

  snapshot(maxParallelism: number): TimerServiceSnapshot {
    const byGroup = (timers: Iterable<InternalTimer<unknown, N>>): Record<number, TimerEntry[]> => {
      const out: Record<number, TimerEntry[]> = {};
      let order = 0;
      for (const t of timers) (out[assignToKeyGroup(t.key, maxParallelism)] ??= []).push([t.key, t.namespace, t.timestamp, order++]);
      return out;
    };
    return { eventTime: byGroup(this.eventTime.all()), processingTime: byGroup(this.processingTime.queue.all()) };
  }

  /** Registers restored timers again; processing-time timers already due fire from the next mail. */
  restore(snapshot: TimerServiceSnapshot, owns: (keyGroup: number) => boolean): void {
    const before = this.keyContext.currentKey;
    for (const [domain, groups] of [['event', snapshot.eventTime], ['processing', snapshot.processingTime]] as const) {
      const owned: TimerEntry[] = [];
      for (const [kg, timers] of Object.entries(groups)) if (owns(Number(kg))) owned.push(...timers);
      owned.sort((a, b) => a[2] - b[2] || (a[3] ?? 0) - (b[3] ?? 0)); // stable: entries without an order keep theirs
      for (const [key, namespace, time] of owned) {
        this.keyContext.setCurrentKey(key);
        const ns = this.namespaceSerializer(namespace) as N;
        if (domain === 'event') this.registerEventTimeTimer(ns, time);
        else this.registerProcessingTimeTimer(ns, time);
      }
    }
    this.keyContext.setCurrentKey(before);
  }
}

function sorted<T extends InternalTimer<unknown, unknown>>(timers: T[]): T[] {
  return timers.sort((a, b) => a.timestamp - b.timestamp);
}

/** The named timer services of one operator subtask (Flink's InternalTimeServiceManager). */
export class InternalTimeServiceManager {
  private readonly services = new Map<string, InternalTimerServiceImpl<Namespace>>();
  private readonly restored = new Map<string, TimerServiceSnapshot[]>();
  private owns: (keyGroup: number) => boolean = () => true;
  /** The restored watermark, for services created after the restore. */
  private watermark = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly keyContext: HeapKeyedStateBackend,
    private readonly scheduler: TimerScheduler,
  ) {}

  /**
   * The timer service of that name, created on first use; `triggerable` is what its timers call.
   * Asking again for the same name returns the same service. `namespaceSerializer` rebuilds the
   * namespaces of restored timers (a TimeWindow from its serialized fields).
   */
  getInternalTimerService<N extends Namespace>(name: string, triggerable: Triggerable<unknown, N>, namespaceSerializer?: NamespaceSerializer<N>): InternalTimerService<N> {
    let service = this.services.get(name);
    if (service === undefined) {
      service = new InternalTimerServiceImpl<Namespace>(name, this.keyContext, this.scheduler, triggerable as Triggerable<unknown, Namespace>, namespaceSerializer);
      this.services.set(name, service);
      service.restoreWatermark(this.watermark);
      for (const snap of this.restored.get(name) ?? []) service.restore(snap, this.owns);
      this.restored.delete(name);
    } else {
      service.triggerable = triggerable as Triggerable<unknown, Namespace>;
    }
    return service as unknown as InternalTimerService<N>;
  }

  /** Fires every service's due event-time timers, in service creation order. */
  advanceWatermark(watermark: number): void {
    this.watermark = watermark;
    for (const s of this.services.values()) s.advanceWatermark(watermark);
  }

  /** Restores the operator's watermark into every service (also ones created later), firing nothing. */
  restoreWatermark(watermark: number): void {
    if (watermark > this.watermark) this.watermark = watermark;
    for (const s of this.services.values()) s.restoreWatermark(watermark);
  }

  snapshot(): TimersSnapshot {
    const out: TimersSnapshot = {};
    for (const [name, s] of this.services) out[name] = s.snapshot(this.keyContext.maxParallelism);
    for (const [name, snaps] of this.restored) for (const snap of snaps) out[name] = mergeTimerSnapshots(out[name], snap);
    return out;
  }

  /** Restores timers; a service's timers are registered when the operator asks for it again. */
  restore(snapshots: readonly TimersSnapshot[], owns: (keyGroup: number) => boolean = () => true): void {
    this.owns = owns;
    for (const snap of snapshots) {
      for (const [name, s] of Object.entries(snap)) {
        const service = this.services.get(name);
        if (service !== undefined) service.restore(s, owns);
        else {
          let list = this.restored.get(name);
          if (list === undefined) this.restored.set(name, (list = []));
          list.push(ownedGroups(s, owns));
        }
      }
    }
  }
}

/** Only the key groups this subtask owns. */
function ownedGroups(s: TimerServiceSnapshot, owns: (keyGroup: number) => boolean): TimerServiceSnapshot {
  const filter = (x: Record<number, TimerEntry[]>): Record<number, TimerEntry[]> =>
    Object.fromEntries(Object.entries(x).filter(([kg]) => owns(Number(kg))));
  return { eventTime: filter(s.eventTime), processingTime: filter(s.processingTime) };
}

function mergeTimerSnapshots(a: TimerServiceSnapshot | undefined, b: TimerServiceSnapshot): TimerServiceSnapshot {
  if (a === undefined) return b;
  const merge = (x: Record<number, TimerEntry[]>, y: Record<number, TimerEntry[]>): Record<number, TimerEntry[]> => {
    const out: Record<number, TimerEntry[]> = { ...x };
    for (const [kg, ts] of Object.entries(y)) out[Number(kg)] = [...(out[Number(kg)] ?? []), ...ts];
    return out;
  };
  return { eventTime: merge(a.eventTime, b.eventTime), processingTime: merge(a.processingTime, b.processingTime) };
}
