/**
 * States and transitions of the CEP NFA (Flink's State, StateTransition, StateTransitionAction).
 * A TAKE edge consumes the event into the partial match and moves to its target; IGNORE skips the
 * event and stays (or moves, for the branch states of optional stages); PROCEED is an epsilon edge
 * evaluated with the same event. Stop states end a partial match (a negated stage matched); Pending
 * states hold a match that completes when its window closes without a violating event.
 */
import type { ConditionContext } from '../conditions.ts';

export type StateType = 'Start' | 'Final' | 'Normal' | 'Stop' | 'Pending';
export type StateTransitionAction = 'TAKE' | 'IGNORE' | 'PROCEED';

/** A compiled condition of an edge. */
export type EdgeCondition<T> = (event: T, ctx: ConditionContext<T>) => boolean;

/** The condition that always holds (Flink's BooleanConditions.trueFunction()), recognised to skip calls. */
export const TRUE_CONDITION: EdgeCondition<any> = () => true; // eslint-disable-line @typescript-eslint/no-explicit-any -- one constant for every event type

export class StateTransition<T> {
  constructor(
    readonly source: State<T>,
    readonly action: StateTransitionAction,
    readonly target: State<T>,
    public condition: EdgeCondition<T>,
  ) {}
  toString(): string {
    return `${this.action} ${this.source.name} -> ${this.target.name}`;
  }
}

export class State<T> {
  readonly transitions: Array<StateTransition<T>> = [];
  /** PREVIOUS_AND_CURRENT window of the stage this state waits for (0: none): Flink's windowTimes. */
  windowGap = 0;
  /** The stage the state belongs to: its name without the `:n` (Flink's getOriginalNameFromInternal). */
  readonly stage: string;
  /**
   * Set by the NFA when the state's edges are exactly TAKE(c) and IGNORE-to-itself(not c) (a stage
   * after followedBy, and the start): the TAKE edge. Exactly one of the two holds for any event, so
   * the NFA evaluates c once and knows which.
   */
  takeOrIgnore: StateTransition<T> | null = null;
  /** Set by the NFA: whether the state has PROCEED edges (if not, no final state is reached through them). */
  proceeds = true;

  constructor(
    /** Unique internal name: the stage name, or `name:n` for further states of one stage. */
    readonly name: string,
    public type: StateType,
  ) {
    const i = name.indexOf(':');
    this.stage = i < 0 ? name : name.slice(0, i);
  }

  isStart(): boolean {
    return this.type === 'Start';
  }
  isFinal(): boolean {
    return this.type === 'Final';
  }
  isStop(): boolean {
    return this.type === 'Stop';
  }
  isPending(): boolean {
    return this.type === 'Pending';
  }
  makeStart(): void {
    this.type = 'Start';
  }

  addStateTransition(action: StateTransitionAction, target: State<T>, condition: EdgeCondition<T>): void {
    this.transitions.push(new StateTransition(this, action, target, condition));
  }
  /** TAKE into `target`, or into this state itself (a loop). */
  addTake(target: State<T> | EdgeCondition<T>, condition?: EdgeCondition<T>): void {
    if (target instanceof State) this.addStateTransition('TAKE', target, condition!);
    else this.addStateTransition('TAKE', this, target);
  }
  /** IGNORE staying here, or moving to `target`. */
  addIgnore(target: State<T> | EdgeCondition<T>, condition?: EdgeCondition<T>): void {
    if (target instanceof State) this.addStateTransition('IGNORE', target, condition!);
    else this.addStateTransition('IGNORE', this, target);
  }
  addProceed(target: State<T>, condition: EdgeCondition<T>): void {
    this.addStateTransition('PROCEED', target, condition);
  }

  toString(): string {
    return `${this.type} ${this.name}: ${this.transitions.map(String).join(', ')}`;
  }
}

