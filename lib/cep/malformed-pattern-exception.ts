import { registerErrorClass, TidemarkError } from '../core/errors.ts';

/** Thrown for a pattern that cannot be built, naming the stage (Flink's MalformedPatternException). */
export class MalformedPatternException extends TidemarkError {
  override name = 'MalformedPatternException';

  /** The code that built the pattern is where to look (a PatternSpecError says otherwise: its input is). */
  override get pointsAtCode(): boolean {
    return true;
  }
}
registerErrorClass(MalformedPatternException);
