/**
 * The layers point one way (DESIGN.md, "Layout"): api -> operators/windowing/cep -> state/runtime ->
 * core, and core imports nothing of ours. Connectors use only the public contracts in lib/core. This
 * test reads the import graph from the source files (static imports, `export ... from`, dynamic
 * `import()`) and fails on any import that runs the wrong way.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;

/** Layers below the API, which must not import lib/api (the test harness drives operators, not the API). */
const BELOW_API = ['lib/time/', 'lib/runtime/', 'lib/state/', 'lib/operators/', 'lib/windowing/', 'lib/cep/', 'lib/testing/'];

/**
 * How jobs are deployed (the scheduler, the slot workers and their protocol, task deployment and
 * execution, the local executor): the API reaches them only through the PipelineExecutor of
 * lib/runtime/execution/pipeline-executor.ts, handing it the graph it built.
 */
const DEPLOYMENT = [
  'lib/runtime/scheduler.ts',
  'lib/runtime/worker.ts',
  'lib/runtime/worker-entry.mjs',
  'lib/runtime/worker-protocol.ts',
  'lib/runtime/job-module.mjs',
  'lib/runtime/deploy.ts',
  'lib/runtime/executor.ts',
  'lib/runtime/execution/local-executor.ts',
];

/** Every source file under `dir` (repository-relative, '/'-separated). */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(join(ROOT, d), { withFileTypes: true })) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(p);
      } else if (SOURCE.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** The import graph: file -> what it imports (repository-relative for our files, the bare name for packages). */
type Graph = Map<string, string[]>;

function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  return info.importedFiles.map(({ fileName }) =>
    fileName.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), fileName)).split('\\').join('/') : fileName,
  );
}

function buildGraph(dirs: string[]): Graph {
  const g: Graph = new Map();
  for (const d of dirs) for (const f of sourceFiles(d)) g.set(f, importsOf(f));
  return g;
}

/** Whether an import names one of our files (not an npm package or a node: builtin). */
function isOurs(target: string): boolean {
  return target.startsWith('lib/') || target.startsWith('connectors/') || target === 'tidemark' || target.startsWith('tidemark/');
}

/** Imports from lib/core to anything of ours outside lib/core (including the package's own name). */
function coreLeaks(g: Graph): string[] {
  const bad: string[] = [];
  for (const [f, imports] of g) {
    if (!f.startsWith('lib/core/')) continue;
    for (const t of imports) if (isOurs(t) && !t.startsWith('lib/core/')) bad.push(`${f} -> ${t}`);
  }
  return bad;
}

/** Imports from the layers below the API into lib/api, as "from -> to". */
function upwardImports(g: Graph): string[] {
  const bad: string[] = [];
  for (const [f, imports] of g) {
    if (!BELOW_API.some((p) => f.startsWith(p))) continue;
    for (const t of imports) if (t.startsWith('lib/api/') || t === 'lib/index.ts' || t === 'tidemark') bad.push(`${f} -> ${t}`);
  }
  return [...new Set(bad)].sort();
}

/** Imports from lib/api into the runtime's deployment internals, as "from -> to". */
function deploymentLeaks(g: Graph): string[] {
  const bad: string[] = [];
  for (const [f, imports] of g) {
    if (!f.startsWith('lib/api/')) continue;
    for (const t of imports) if (DEPLOYMENT.includes(t) || t.startsWith('lib/runtime/tasks/')) bad.push(`${f} -> ${t}`);
  }
  return bad;
}

/** Imports from connectors/ into lib/ outside lib/core (another connector is fine: socket reuses file's line splitter). */
function connectorLeaks(g: Graph): string[] {
  const bad: string[] = [];
  for (const [f, imports] of g) {
    if (!f.startsWith('connectors/')) continue;
    for (const t of imports) if ((t.startsWith('lib/') && !t.startsWith('lib/core/')) || t === 'tidemark' || t.startsWith('tidemark/')) bad.push(`${f} -> ${t}`);
  }
  return bad;
}

/** Import cycles among the files whose path starts with `prefix`, each as a path a -> b -> ... -> a. */
function cycles(g: Graph, prefix: string): string[] {
  const found: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'visiting');
    stack.push(f);
    for (const t of g.get(f) ?? []) {
      if (!t.startsWith(prefix) || !g.has(t)) continue;
      const s = state.get(t);
      if (s === 'visiting') found.push([...stack.slice(stack.indexOf(t)), t].join(' -> '));
      else if (s === undefined) visit(t);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of [...g.keys()].filter((k) => k.startsWith(prefix)).sort()) if (!state.has(f)) visit(f);
  return found;
}

/**
 * The static imports of `file` that remain at run time: `import type` / `export type` are erased
 * (verbatimModuleSyntax keeps every other import, even `import { type A }`); dynamic import() is lazy.
 */
function runtimeImportsOf(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest);
  const out: string[] = [];
  for (const st of sf.statements) {
    let spec: ts.Expression | undefined;
    if (ts.isImportDeclaration(st) && st.importClause?.isTypeOnly !== true) spec = st.moduleSpecifier;
    else if (ts.isExportDeclaration(st) && !st.isTypeOnly) spec = st.moduleSpecifier;
    if (spec === undefined || !ts.isStringLiteral(spec)) continue;
    const name = spec.text;
    out.push(name.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), name)).split('\\').join('/') : name);
  }
  return out;
}

/** The folders of the README's "How it is built" table, top-down (`lib/core`, ..., `connectors`). */
function readmeFolderMap(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## How it is built'));
  const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| folder |')));
  return [...table.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!.replace(/\/$/, ''));
}

/**
 * Imports from a folder of the map to one listed below it, as "from -> to". lib/index.ts (the package's
 * entry point) sits above everything; files outside the map are not checked here.
 */
function mapViolations(g: Graph, order: readonly string[]): string[] {
  const rank = (f: string): number | undefined => {
    if (f === 'lib/index.ts' || f === 'tidemark' || f.startsWith('tidemark/')) return order.length;
    const i = order.findIndex((d) => f.startsWith(`${d}/`));
    return i < 0 ? undefined : i;
  };
  const bad: string[] = [];
  for (const [f, imports] of g) {
    const from = rank(f);
    if (from === undefined) continue;
    for (const t of imports) {
      const to = rank(t);
      if (to !== undefined && to > from) bad.push(`${f} -> ${t}`);
    }
  }
  return [...new Set(bad)].sort();
}

describe('layering', () => {
  const graph = buildGraph(['lib', 'connectors']);

  test('the graph is read from the sources (sanity)', () => {
    const core = [...graph.keys()].filter((f) => f.startsWith('lib/core/'));
    expect(core.length).toBeGreaterThan(10);
    expect(graph.get('lib/operators/map.ts')).toContain('lib/core/functions/function-utils.ts');
  });

  test('lib/core imports nothing of ours outside lib/core', () => {
    expect(coreLeaks(graph)).toEqual([]);
  });

  test('lib/core has no import cycle', () => {
    expect(cycles(graph, 'lib/core/')).toEqual([]);
  });

  // No exceptions. (lib/cli imports lib/api/config.ts: the CLI sits above the API, so that is not upward.)
  test('time, runtime, state, operators, windowing, cep and testing do not import lib/api', () => {
    expect(upwardImports(graph), 'imports into lib/api from a lower layer: move the contract to lib/core instead').toEqual([]);
  });

  test('the API deploys jobs only through a PipelineExecutor (no scheduler, worker or task internals)', () => {
    expect(deploymentLeaks(graph)).toEqual([]);
  });

  test('connectors import only the public contracts in lib/core', () => {
    expect(connectorLeaks(graph)).toEqual([]);
  });

  // The issue named datastream <-> connected-streams <-> joins and functions <-> descriptors: none is left.
  test('no import cycle among the files of lib/ and connectors/ at run time (type-only imports are erased)', () => {
    const runtime: Graph = new Map([...graph.keys()].map((f) => [f, runtimeImportsOf(f)]));
    expect(cycles(runtime, 'lib/')).toEqual([]);
    expect(cycles(runtime, 'connectors/')).toEqual([]);
  });

  // The README's "How it is built" map lists the folders top-down; each imports only from those above it (or itself).
  test("every import goes to a folder above it in the README's map of the folders (How it is built)", () => {
    const order = readmeFolderMap();
    expect(order).toEqual(expect.arrayContaining(['lib/core', 'lib/state', 'lib/runtime', 'lib/api', 'connectors']));
    expect(mapViolations(graph, order)).toEqual([]);
  });

  test('the checks catch bad imports (they can fail)', () => {
    const bad: Graph = new Map([
      ['lib/core/a.ts', ['lib/core/b.ts', 'luxon', 'node:util']],
      ['lib/core/b.ts', ['lib/core/c.ts', 'lib/runtime/task.ts']],
      ['lib/core/c.ts', ['lib/core/a.ts']],
      ['lib/windowing/x.ts', ['lib/api/datastream.ts', 'lib/core/a.ts']],
      ['lib/state/y.ts', ['lib/index.ts']],
      ['lib/api/w.ts', ['lib/runtime/worker.ts', 'lib/runtime/execution/pipeline-executor.ts', 'lib/runtime/graph/job-graph.ts']],
      ['connectors/z/index.ts', ['lib/runtime/task.ts', 'lib/core/connector/source.ts', 'connectors/file/lines.ts']],
    ]);
    expect(coreLeaks(bad)).toEqual(['lib/core/b.ts -> lib/runtime/task.ts']);
    expect(cycles(bad, 'lib/core/')).toEqual(['lib/core/a.ts -> lib/core/b.ts -> lib/core/c.ts -> lib/core/a.ts']);
    expect(upwardImports(bad)).toEqual(['lib/state/y.ts -> lib/index.ts', 'lib/windowing/x.ts -> lib/api/datastream.ts']);
    expect(deploymentLeaks(bad)).toEqual(['lib/api/w.ts -> lib/runtime/worker.ts']);
    expect(connectorLeaks(bad)).toEqual(['connectors/z/index.ts -> lib/runtime/task.ts']);
    expect(mapViolations(bad, ['lib/core', 'lib/state', 'lib/runtime', 'lib/windowing', 'connectors', 'lib/api'])).toEqual([
      'lib/core/b.ts -> lib/runtime/task.ts',
      'lib/state/y.ts -> lib/index.ts',
      'lib/windowing/x.ts -> lib/api/datastream.ts',
    ]);
  });
});
