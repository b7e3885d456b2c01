// First step of `npm run build` (before tsc -p tsconfig.build.json): tsc builds dist/ incrementally and
// trusts dist/.tsbuildinfo, so an output deleted since the last build (rm -rf dist/lib) would never be
// written again and `npm pack` would ship a package without it. When a source compiled by the build
// lacks one of its outputs, the build info is removed and tsc builds everything.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const BUILD_INFO = join(DIST, '.tsbuildinfo');
/** What tsconfig.build.json compiles: its include, less its exclude. */
const SOURCE_DIRS = ['lib', 'connectors'];
const EXCLUDED = [join(ROOT, 'connectors', 'kafka', 'broker')];

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!EXCLUDED.includes(path)) yield* walk(path);
    } else yield path;
  }
}

function outputsMissing() {
  for (const dir of SOURCE_DIRS) {
    for (const file of walk(join(ROOT, dir))) {
      if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
      const out = join(DIST, relative(ROOT, file)).slice(0, -'.ts'.length);
      if (!['.js', '.js.map', '.d.ts'].every((ext) => existsSync(out + ext))) return relative(ROOT, file);
    }
  }
  return undefined;
}

if (existsSync(BUILD_INFO)) {
  const missing = outputsMissing();
  if (missing !== undefined) {
    console.error(`dist/ lacks the outputs of ${missing}: building everything again`);
    rmSync(BUILD_INFO);
  }
}
