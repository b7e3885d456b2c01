/** Thrown for a pattern that cannot be built, naming the stage (Flink's MalformedPatternException). */
export class MalformedPatternException extends Error {
  override name = 'MalformedPatternException';
}
