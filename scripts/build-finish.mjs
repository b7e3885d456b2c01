// Second half of `npm run build` (after tsc -p tsconfig.build.json): the plain-JavaScript modules of
// lib/ and connectors/ (thread entries, which must load before TypeScript support can) and their
// hand-written .d.mts go to dist/ as they are, except that their imports of `./x.ts` name the
// compiled `./x.js`. tsc leaves `./x.ts` in the .d.ts files it writes (rewriteRelativeImportExtensions
// rewrites JavaScript only): they name `./x.js` too, which every TypeScript version resolves to x.d.ts.
// Files in dist/ whose source is gone are removed (tsc builds incrementally and never deletes), so the
// package holds no module that the sources no longer have.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const SOURCE_DIRS = ['lib', 'connectors'];

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

for (const dir of SOURCE_DIRS) {
  for (const file of walk(join(ROOT, dir))) {
    if (!file.endsWith('.mjs') && !file.endsWith('.d.mts')) continue;
    const target = join(DIST, relative(ROOT, file));
    mkdirSync(dirname(target), { recursive: true });
    if (file.endsWith('.d.mts')) {
      copyFileSync(file, target);
      continue;
    }
    writeFileSync(target, jsSpecifiers(readFileSync(file, 'utf8')));
  }
}

/** `from './x.ts'` and `import('./x.ts')` (relative only) as `./x.js`. */
function jsSpecifiers(text) {
  return text.replace(/(import\s*\(\s*|from\s+)(['"])(\.\.?\/[^'"]+)\.ts\2/g, '$1$2$3.js$2');
}

for (const file of walk(DIST)) {
  if (!file.endsWith('.d.ts')) continue;
  const text = readFileSync(file, 'utf8');
  const rewritten = jsSpecifiers(text);
  if (rewritten !== text) writeFileSync(file, rewritten);
}

/** The source a file in dist/ was made from (undefined for the build's own files). */
function sourceOf(distFile) {
  const rel = relative(DIST, distFile);
  for (const [out, sources] of [
    ['.d.ts', ['.ts']],
    ['.js.map', ['.ts']],
    ['.js', ['.ts']],
    ['.d.mts', ['.d.mts']],
    ['.mjs', ['.mjs']],
  ]) {
    if (rel.endsWith(out)) return sources.map((ext) => join(ROOT, rel.slice(0, -out.length) + ext));
  }
  return undefined;
}

for (const file of walk(DIST)) {
  const sources = sourceOf(file);
  if (sources !== undefined && !sources.some((s) => existsSync(s))) rmSync(file);
}
