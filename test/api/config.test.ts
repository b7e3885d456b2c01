/** ParameterTool (job arguments) and Configuration (options, YAML with flat or nested keys). */
import { afterAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Configuration, CoreOptions, IllegalConfigurationException, ParameterTool, StreamExecutionEnvironment } from '../../lib/index.ts';
import { removeTempDirs, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

describe('ParameterTool.fromArgs', () => {
  test('--key value, -key value, bare flags and negative numbers', () => {
    const p = ParameterTool.fromArgs(['--input', 'a.txt', '-port', '9999', '--verbose', '--offset', '-5', '--ratio', '0.5', '--last']);
    expect(p.get('input')).toBe('a.txt');
    expect(p.getInt('port')).toBe(9999);
    expect(p.has('verbose')).toBe(true);
    expect(p.get('verbose')).toBeUndefined();
    expect(p.getBoolean('verbose')).toBe(true);
    expect(p.getInt('offset')).toBe(-5);
    expect(p.getDouble('ratio')).toBe(0.5);
    expect(p.getBoolean('last')).toBe(true);
    expect(p.getNumberOfParameters()).toBe(6);
  });

  test('defaults, required keys and type errors name the key', () => {
    const p = ParameterTool.fromArgs(['--port', 'eighty', '--n', '1.5', '--b', 'yes']);
    expect(p.get('host', '127.0.0.1')).toBe('127.0.0.1');
    expect(p.getInt('missing', 7)).toBe(7);
    expect(p.getBoolean('missing', false)).toBe(false);
    expect(() => p.getRequired('host')).toThrow(/host/);
    expect(() => p.getInt('host')).toThrow(/host/);
    expect(() => p.getInt('port')).toThrow(/port.*eighty/);
    expect(() => p.getInt('n')).toThrow(/integer/);
    expect(p.getDouble('n')).toBe(1.5);
    expect(() => p.getBoolean('b')).toThrow(/true or false/);
  });

  test('an argument without a dash is an error naming it', () => {
    expect(() => ParameterTool.fromArgs(['input.txt'])).toThrow(/input\.txt/);
  });

  test('given process.argv itself, the node executable and script are skipped', () => {
    const saved = process.argv;
    try {
      process.argv = ['/usr/bin/node', '/jobs/job.ts', '--port', '1234'];
      const p = ParameterTool.fromArgs(process.argv);
      expect(p.getInt('port')).toBe(1234);
      expect(p.getNumberOfParameters()).toBe(1);
    } finally {
      process.argv = saved;
    }
  });

  test('mergeWith: later values win; fromMap and toMap', () => {
    const a = ParameterTool.fromMap({ x: '1', y: '2' });
    const b = ParameterTool.fromArgs(['--y', '3', '--z', '4']);
    expect(a.mergeWith(b).toMap()).toEqual({ x: '1', y: '3', z: '4' });
  });

  test('property: any --key value list round-trips', () => {
    const keyArb = fc.stringMatching(/^[a-z][a-z0-9.]{0,8}$/);
    const valueArb = fc.stringMatching(/^[a-zA-Z0-9_./]{1,10}$/);
    fc.assert(
      fc.property(fc.dictionary(keyArb, valueArb, { maxKeys: 8 }), (entries) => {
        const args = Object.entries(entries).flatMap(([k, v]) => [`--${k}`, v]);
        expect(ParameterTool.fromArgs(args).toMap()).toEqual(entries);
      }),
      { numRuns: 200 },
    );
  });
});

describe('Configuration', () => {
  test('fromYaml: nested and flat keys mean the same option', () => {
    const nested = Configuration.fromYaml('parallelism:\n  default: 3\ntaskmanager:\n  numberOfTaskSlots: 5\nexecution:\n  runtime-mode: batch\n');
    const flat = Configuration.fromYaml('parallelism.default: 3\ntaskmanager.numberOfTaskSlots: 5\nexecution.runtime-mode: BATCH\n');
    for (const c of [nested, flat]) {
      expect(c.get(CoreOptions.DEFAULT_PARALLELISM)).toBe(3);
      expect(c.get(CoreOptions.NUMBER_OF_TASK_SLOTS)).toBe(5);
      expect(c.get(CoreOptions.RUNTIME_MODE)).toBe('BATCH');
    }
    const mixed = Configuration.fromYaml('pipeline:\n  operator-chaining.enabled: false\n  max-parallelism: 256\n');
    expect(mixed.get(CoreOptions.OPERATOR_CHAINING)).toBe(false);
    expect(mixed.get(CoreOptions.MAX_PARALLELISM)).toBe(256);
  });

  test('an empty document gives the defaults', () => {
    const c = Configuration.fromYaml('');
    expect(c.get(CoreOptions.DEFAULT_PARALLELISM)).toBe(1);
    expect(c.get(CoreOptions.RUNTIME_MODE)).toBe('STREAMING');
    expect(c.get(CoreOptions.TARGET)).toBe('inline');
    expect(c.contains(CoreOptions.DEFAULT_PARALLELISM)).toBe(false);
  });

  test('bad values name the key and the value; bad documents name the origin', () => {
    const err = (f: () => unknown): Error => {
      try {
        f();
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a throw');
    };
    const badValue = err(() => Configuration.fromYaml('parallelism.default: -2\n', 'my.yaml'));
    expect(badValue).toBeInstanceOf(IllegalConfigurationException);
    expect(badValue.message).toContain('parallelism.default');
    expect(badValue.message).toContain('-2');
    expect(badValue.message).toContain('my.yaml');
    const badMode = err(() => Configuration.fromYaml('execution.runtime-mode: SOMETIMES\n'));
    expect(badMode.message).toContain('STREAMING, BATCH, AUTOMATIC');
    const badYaml = err(() => Configuration.fromYaml('a: [1, 2\n', 'broken.yaml'));
    expect(badYaml).toBeInstanceOf(IllegalConfigurationException);
    expect(badYaml.message).toContain('broken.yaml');
    const list = err(() => Configuration.fromYaml('- a\n- b\n', 'list.yaml'));
    expect(list.message).toContain('list');
    const missing = err(() => Configuration.fromYamlFile(join(tempDir(), 'nope.yaml')));
    expect(missing.message).toContain('nope.yaml');
  });

  test('fromYamlFile reads a file; addAll lets later entries win', () => {
    const path = join(tempDir(), 'tidemark.yaml');
    writeFileSync(path, 'parallelism:\n  default: 4\n');
    const c = Configuration.fromYamlFile(path);
    expect(c.get(CoreOptions.DEFAULT_PARALLELISM)).toBe(4);
    c.addAll(new Configuration({ 'parallelism.default': '2' }));
    expect(c.get(CoreOptions.DEFAULT_PARALLELISM)).toBe(2);
  });

  test('values are validated when set, strings are parsed', () => {
    const c = new Configuration();
    c.setString('taskmanager.numberOfTaskSlots', '6');
    expect(c.get(CoreOptions.NUMBER_OF_TASK_SLOTS)).toBe(6);
    expect(() => c.setString('parallelism.default', '1.5')).toThrow(IllegalConfigurationException);
    expect(() => c.set(CoreOptions.OPERATOR_CHAINING, 'maybe' as unknown as boolean)).toThrow(/true or false/);
    c.setString('pipeline.auto-watermark-interval', '50 ms');
    expect(c.get(CoreOptions.AUTO_WATERMARK_INTERVAL)).toBe(50);
    // Unknown keys are kept as they are (connectors may read them).
    c.setString('my.connector.option', 'x');
    expect(c.toMap()['my.connector.option']).toBe('x');
  });

  test('an environment created with a configuration uses it', () => {
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 3, 'pipeline.max-parallelism': 64 });
    expect(env.getParallelism()).toBe(3);
    expect(env.getMaxParallelism()).toBe(64);
    env.setParallelism(2);
    expect(env.getConfiguration().get(CoreOptions.DEFAULT_PARALLELISM)).toBe(2);
    expect(() => env.setParallelism(0)).toThrow(IllegalConfigurationException);
  });
});
