/**
 * A fresh clone's `npm install` must not rewrite package-lock.json: every optional dependency (the per-platform
 * binaries of esbuild and rollup) has its own entry, so `npm ci` resolves the same tree on every platform.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers.ts';

interface LockEntry {
  optionalDependencies?: Record<string, string>;
}

describe('package-lock.json', () => {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    lockfileVersion: number;
    packages: Record<string, LockEntry>;
  };

  it('records every optional (platform) dependency of every locked package', () => {
    expect(lock.lockfileVersion).toBeGreaterThanOrEqual(2);
    const missing: string[] = [];
    let optional = 0;
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        optional++;
        // npm resolves a dependency next to its dependent first, then in the top-level node_modules.
        const nested = `${path}/node_modules/${name}`;
        if (!(nested in lock.packages) && !(`node_modules/${name}` in lock.packages)) missing.push(`${name} (of ${path || 'the root'})`);
      }
    }
    expect(optional).toBeGreaterThan(20); // esbuild and rollup each list many platforms
    expect(missing).toEqual([]);
  });
});
