/**
 * Versions of up to three digits with small digits (and those with a fourth digit 0) are made once and shared (partial matches make
 * one or two per taken event and keep them as long as they live); any other version is its own
 * object. Either way versions compare by value (dewey-number.test.ts checks them against a model).
 */
import { describe, expect, test } from 'vitest';
import { DeweyNumber } from '../../lib/cep/nfa/dewey-number.ts';

describe('DeweyNumber interning', () => {
  test('short versions with small digits are one object, however they are made', () => {
    expect(DeweyNumber.of(3).addStage()).toBe(DeweyNumber.fromString('3.0'));
    expect(DeweyNumber.of(3).addStage().increase(2).addStage()).toBe(DeweyNumber.fromString('3.2.0'));
    expect(DeweyNumber.of(1).increase(510)).toBe(DeweyNumber.of(511));
  });

  test('a three-digit version with a stage added (d0.d1.d2.0) is one object; what is made from it leaves it as it was', () => {
    const v = DeweyNumber.fromString('1.2.3').addStage();
    expect(v).toBe(DeweyNumber.of(1).addStage().increase(2).addStage().increase(3).addStage());
    expect(v.toString()).toBe('1.2.3.0');
    expect(v.increase(2).toString()).toBe('1.2.3.2');
    expect(v.addStage().toString()).toBe('1.2.3.0.0');
    expect(v.increase(2).addStage().increase(1).toString()).toBe('1.2.3.2.1');
    expect(v.toString()).toBe('1.2.3.0');
    expect(v.equals(DeweyNumber.fromString('1.2.3.0'))).toBe(true);
    expect(v.increase(1).isCompatibleWith(v)).toBe(true);
    expect(v.isCompatibleWith(v.increase(1))).toBe(false);
    expect(v.addStage().isCompatibleWith(v)).toBe(true);
    // Outside the bounds: made each time.
    expect(DeweyNumber.fromString('1.8.0').addStage()).not.toBe(DeweyNumber.fromString('1.8.0').addStage());
  });

  test('long versions and large digits are made each time, and still equal by value', () => {
    const big = DeweyNumber.of(512);
    expect(big).not.toBe(DeweyNumber.of(512));
    expect(big.equals(DeweyNumber.of(512))).toBe(true);
    const deep = DeweyNumber.fromString('1.0.0.0');
    expect(deep).not.toBe(DeweyNumber.fromString('1.0.0.0'));
    expect(deep.equals(DeweyNumber.fromString('1.0.0').addStage())).toBe(true);
    expect(DeweyNumber.fromString('1.8')).not.toBe(DeweyNumber.fromString('1.8'));
    expect(DeweyNumber.fromString('1.9').isCompatibleWith(DeweyNumber.fromString('1.8'))).toBe(true);
  });
});
