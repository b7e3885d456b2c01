/**
 * What a slot worker runs, compiled once per job submission: the worker (worker.ts), tidemark and the
 * job module with everything it imports from files, bundled by esbuild into a temporary folder. A
 * worker then starts with a plain import() of JavaScript, instead of registering tsx's module hooks
 * and transpiling tidemark and the job again (hundreds of ms of CPU per worker).
 *
 * - The job module is a dynamic import() of its own: it is evaluated when the worker imports it
 *   (after the execution context is set), top-level await and all, in a chunk of its own.
 * - tidemark is bundled, whatever copy the job imports, so the worker's runtime and the job's
 *   `tidemark` are one copy (instanceof holds). From the sources, the `tidemark-source` condition
 *   applies as in source-condition.mjs (and falls back when a copy has no sources).
 * - Every other package (a file under node_modules) stays external, resolved here to its absolute file, so that the folder of the
 *   bundle does not matter and a package is one instance in the worker. Packages shipping TypeScript
 *   (which Node cannot import without tsx) and packages that depend on tidemark are bundled.
 * - `import.meta.url` (dirname, filename) of every bundled file is its own file's, as it was (code
 *   reads files next to itself); so are `__dirname` and `__filename` of a CommonJS file.
 * - Source maps name the original files and lines in stack traces (the worker turns them on).
 *
 * The caller falls back to the tsx path when bundling fails (bundleFailure says why), and so when a
 * file of the job imports a module it names at run time (`import(name)`): the bundle would not hold it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire, isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Esbuild from 'esbuild';
import { WORKER_BUNDLE_PREFIX, workerBundleFolders } from './worker-bundle-folders.mjs';

/** A built bundle: the worker's entry and the folder to remove when the job ends. */
export interface WorkerBundle {
  /** File URL of the entry a worker imports. */
  readonly entry: string;
  readonly dir: string;
  /** Milliseconds the build took. */
  readonly buildMs: number;
}

/** Running from the TypeScript sources (this repository) rather than from dist/. */
const FROM_SOURCES = import.meta.url.endsWith('.ts');
const WORKER_FILE = fileURLToPath(new URL(FROM_SOURCES ? '../worker.ts' : '../worker.js', import.meta.url));
const SOURCE_CONDITION = 'tidemark-source';
const OWN_PACKAGE = 'tidemark';
/** Marks a resolve the plugin asks esbuild for itself (no recursion into the plugin). */
const INNER = Symbol('tidemark-inner-resolve');
const TYPESCRIPT = /\.(ts|tsx|mts|cts)$/;
const IN_NODE_MODULES = /[\\/]node_modules[\\/]/;

/** esbuild: tidemark's own dependency when it has one, else the one tsx (a dependency) brings. */
function loadEsbuild(): typeof Esbuild {
  const req = createRequire(import.meta.url);
  try {
    return req('esbuild') as typeof Esbuild;
  } catch {
    return createRequire(req.resolve('tsx/package.json'))('esbuild') as typeof Esbuild;
  }
}

function loaderOf(path: string): Esbuild.Loader {
  const ext = extname(path);
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') return 'ts';
  if (ext === '.tsx') return 'tsx';
  if (ext === '.jsx') return 'jsx';
  return 'js';
}

/**
 * `import.meta.url` of a bundled file would be the bundle's chunk, and CommonJS's `__dirname` and
 * `__filename` are not defined in an ES module: each occurrence becomes a call of a function (hoisted:
 * usable anywhere in the module) returning the file's own. The call has the same length as what it
 * replaces, so columns (and the source map) stay right. `import.meta.resolve` becomes a function of the
 * same length resolving from the file's own URL: a relative path or a URL as Node does; a package by
 * Node's resolution from the file's folder (with the `require` conditions: Node 20 cannot resolve from
 * another parent with the `import` ones).
 */
const META = /\bimport\.meta\.(url|dirname|filename|resolve)\b/g;
const CJS_LOCALS = /(?<![.\w$])(__dirname|__filename)(?![\w$])/g;
/** What makes a file an ES module (then `__dirname` is the module's own variable, or an error as it was). */
const ESM_SYNTAX = /^\s*(?:import\s*[\w{*'"]|export\s)|\bimport\.meta\b/m;
const CALL: Record<string, string> = {
  url: '__tm_meta_url()',
  dirname: '__tm_meta_dirname()',
  filename: '__tm_meta_filename()',
  resolve: '__tm_meta_resolve__', // called by the code as it is
  __dirname: '__tmdir()',
  __filename: '__tmfile()',
};

function rewriteFileLocals(text: string, path: string): string | undefined {
  const used = new Set<string>();
  const use = (name: string): string => {
    used.add(name);
    return CALL[name]!;
  };
  let out = text.replace(META, (_m, prop: string) => use(prop));
  if (!ESM_SYNTAX.test(text) && !/\b(?:const|let|var|function|class)\s+(?:__dirname|__filename)\b/.test(text)) {
    out = out.replace(CJS_LOCALS, (name: string) => use(name));
  }
  if (used.size === 0) return undefined;
  const value: Record<string, string> = { url: pathToFileURL(path).href, dirname: dirname(path), filename: path, __dirname: dirname(path), __filename: path };
  const helpers = [...used].map((p) => (p === 'resolve' ? resolveHelper(path) : `function ${CALL[p]!.slice(0, -2)}() { return ${JSON.stringify(value[p])}; }`));
  return `${out}\n${helpers.join('\n')}\n`;
}

/** `import.meta.resolve` of the file `path` (imports at the end of a module are hoisted as any). */
function resolveHelper(path: string): string {
  const url = JSON.stringify(pathToFileURL(path).href);
  return [
    `import { createRequire as __tm_createRequire, isBuiltin as __tm_isBuiltin } from 'node:module';`,
    `import { pathToFileURL as __tm_pathToFileURL } from 'node:url';`,
    `function __tm_meta_resolve__(specifier) {`,
    `  const s = String(specifier);`,
    `  if (/^\\.{0,2}\\//.test(s)) return new URL(s, ${url}).href;`,
    `  if (__tm_isBuiltin(s)) return s.startsWith('node:') ? s : 'node:' + s;`,
    `  if (/^[a-zA-Z][a-zA-Z\\d+.-]*:/.test(s)) return s;`,
    `  return __tm_pathToFileURL(__tm_createRequire(${url}).resolve(s)).href;`,
    `}`,
  ].join('\n');
}

/** The `tidemark-source` target of `specifier` in the tidemark package at `pkgDir`, when that file exists. */
function sourceTarget(pkgDir: string, specifier: string): string | undefined {
  let exportsField: unknown;
  try {
    exportsField = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { exports?: unknown }).exports;
  } catch {
    return undefined;
  }
  if (typeof exportsField !== 'object' || exportsField === null) return undefined;
  const subpath = '.' + specifier.slice(OWN_PACKAGE.length);
  for (const [key, value] of Object.entries(exportsField as Record<string, unknown>)) {
    const target = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[SOURCE_CONDITION] : undefined;
    if (typeof target !== 'string') continue;
    let file: string | undefined;
    const star = key.indexOf('*');
    if (star < 0) file = key === subpath ? target : undefined;
    else if (subpath.startsWith(key.slice(0, star)) && subpath.endsWith(key.slice(star + 1)) && subpath.length >= key.length - 1) {
      file = target.replace('*', subpath.slice(star, subpath.length - (key.length - star - 1)));
    }
    if (file !== undefined) {
      const abs = resolve(pkgDir, file);
      return existsSync(abs) ? abs : undefined;
    }
  }
  return undefined;
}

/** tidemark's own code (whichever copy): checked by its own tests, never a dynamic import of user files. */
const OWN_CODE = /[\\/]node_modules[\\/]tidemark[\\/]/;
const OWN_ROOT = fileURLToPath(new URL(FROM_SOURCES ? '../../../' : '../../../../', import.meta.url));
const OWN_DIRS = ['lib', 'connectors', 'dist'].map((d) => join(OWN_ROOT, d) + sep);
/** The start of an import(...) or require(...) call: its argument follows. */
const IMPORT_CALL = /(?<![.\w$])(?:import|require)\s*\(\s*/g;

/**
 * Whether the argument of an import() / require() starting at `at` names a module the bundle cannot
 * hold: anything but a string literal, except a template literal or a concatenation starting with a
 * relative path ('./' or '../'), of which esbuild bundles every file that matches (`./lang/${name}.ts`).
 * A template starting with an expression (`${dir}/helper.ts`) is left to run time: it would import the
 * file from the bundle's folder, without tsx.
 */
function namedAtRunTime(code: string, at: number): boolean {
  const quote = code[at];
  if (quote === ')') return false;
  if (quote !== "'" && quote !== '"' && quote !== '`') return true;
  let i = at + 1;
  for (; i < code.length && code[i] !== quote; i++) {
    if (code[i] === '\\') i++;
    else if (quote === '`' && code[i] === '$' && code[i + 1] === '{') break;
  }
  if (code[i] === quote && /^\s*[),]/.test(code.slice(i + 1, i + 64))) return false; // a string literal
  return !/^\.\.?\//.test(code.slice(at + 1, i));
}

/** Where `text` (the file `path`) imports a module named at run time, as `path:line`; comments ignored. */
function dynamicImportIn(text: string, path: string): string | undefined {
  if (OWN_CODE.test(path) || OWN_DIRS.some((d) => path.startsWith(d))) return undefined;
  const code = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:\\])\/\/.*$/gm, '$1');
  for (const m of code.matchAll(IMPORT_CALL)) {
    if (namedAtRunTime(code, m.index + m[0].length)) return `${path}:${code.slice(0, m.index).split('\n').length}`;
  }
  return undefined;
}

/** Whether a package's manifest names tidemark as a dependency, by the package's folder. */
const USES_TIDEMARK = new Map<string, boolean>();

/**
 * Whether the package holding `file` imports tidemark itself: it is bundled then, so that its tidemark
 * is the worker's (left external, it would load a copy of its own, and from sources none at all).
 */
function dependsOnTidemark(file: string): boolean {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const known = USES_TIDEMARK.get(dir);
    if (known !== undefined) return known;
    let manifest: { name?: unknown; dependencies?: object; peerDependencies?: object; optionalDependencies?: object } | undefined;
    try {
      manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as typeof manifest;
    } catch {
      manifest = undefined; // none here (or unreadable): the package's own is further up
    }
    // A package.json without a name only marks its folder's module type (dist/esm/package.json).
    if (manifest !== undefined && typeof manifest.name === 'string') {
      const uses = [manifest.dependencies, manifest.peerDependencies, manifest.optionalDependencies].some((d) => d !== undefined && OWN_PACKAGE in d);
      USES_TIDEMARK.set(dir, uses);
      return uses;
    }
    if (dirname(dir) === dir) return false;
  }
}

function plugin(entry: string, dynamic: string[]): Esbuild.Plugin {
  return {
    name: 'tidemark-worker-bundle',
    setup(build) {
      build.onResolve({ filter: /^tidemark:slot-worker$/ }, () => ({ path: 'slot-worker', namespace: 'tidemark' }));
      build.onLoad({ filter: /.*/, namespace: 'tidemark' }, () => ({ contents: entry, loader: 'js', resolveDir: dirname(WORKER_FILE) }));
      // A native addon next to the code: loaded by Node from where it is.
      build.onResolve({ filter: /\.node$/ }, (args) => {
        if (args.pluginData === INNER || !args.path.startsWith('.')) return undefined;
        const abs = resolve(args.resolveDir, args.path);
        return { path: args.kind === 'require-call' ? abs : pathToFileURL(abs).href, external: true };
      });
      // Anything that is not a relative or absolute path: a package, a builtin, a file: URL.
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === INNER) return undefined;
        if (args.path.startsWith('file:')) return { path: fileURLToPath(args.path) };
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        const inner = (spec: string): Promise<Esbuild.ResolveResult> =>
          build.resolve(spec, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: INNER, with: args.with });
        const own = args.path === OWN_PACKAGE || args.path.startsWith(`${OWN_PACKAGE}/`);
        if (own && FROM_SOURCES) {
          const pkg = await inner(`${OWN_PACKAGE}/package.json`);
          const source = pkg.errors.length === 0 ? sourceTarget(dirname(pkg.path), args.path) : undefined;
          if (source !== undefined) return { path: source };
        }
        const r = await inner(args.path);
        if (r.errors.length > 0) return { errors: r.errors };
        if (r.external) return { path: r.path, external: true };
        // The job's own files reached by a name (package.json `imports`, tsconfig `paths`) are bundled as
        // the ones it imports by a relative path: left external, a file importing tidemark would load a copy
        // of its own (from the sources none at all), and one imported both ways would be two instances.
        if (own || TYPESCRIPT.test(r.path) || !IN_NODE_MODULES.test(r.path) || dependsOnTidemark(r.path)) return { path: r.path };
        const requireCall = args.kind === 'require-call' || args.kind === 'require-resolve';
        return { path: requireCall ? r.path : pathToFileURL(r.path).href, external: true };
      });
      build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
        if (args.namespace !== 'file') return undefined;
        const text = await readFile(args.path, 'utf8');
        const where = dynamicImportIn(text, args.path);
        if (where !== undefined) dynamic.push(where);
        const contents = rewriteFileLocals(text, args.path);
        return contents === undefined ? undefined : { contents, loader: loaderOf(args.path), resolveDir: dirname(args.path) };
      });
    },
  };
}

/** The code of `require` for chunks that call it (CommonJS code in the bundle, requiring a package or a builtin). */
const REQUIRE_SHIM = 'import { createRequire as __tmCreateRequire } from "node:module"; var require = __tmCreateRequire(import.meta.url);';

/**
 * Bundles left by processes that are gone (killed: a process that exits removes its own), by the
 * process id in their names; a live process's (or a reused id's) are left alone.
 */
function removeStaleBundles(): void {
  for (const { pid, path } of workerBundleFolders()) {
    if (pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') rmSync(path, { recursive: true, force: true });
    }
  }
}

/** Builds the bundle of the worker and the job module `jobModule` (a path) in a new temporary folder. */
export async function buildWorkerBundle(jobModule: string): Promise<WorkerBundle> {
  const started = performance.now();
  const esbuild = loadEsbuild();
  removeStaleBundles();
  const dir = mkdtempSync(join(tmpdir(), `${WORKER_BUNDLE_PREFIX}${process.pid}-`));
  try {
    const job = resolve(jobModule);
    const dynamic: string[] = [];
    const entry = `import { runSlotWorker } from ${JSON.stringify(WORKER_FILE)};\nawait runSlotWorker(() => import(${JSON.stringify(job)}));\n`;
    const result = await esbuild.build({
      entryPoints: { 'slot-worker': 'tidemark:slot-worker' },
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      // Node's conditions only: unset, esbuild adds `module`, and a package would resolve here to another
      // file than in Node (two instances in a worker once an external package imports it too).
      conditions: [],
      target: 'node20',
      outdir: dir,
      outExtension: { '.js': '.mjs' },
      sourcemap: 'linked',
      sourcesContent: false,
      keepNames: true,
      logLevel: 'silent',
      write: false,
      plugins: [plugin(entry, dynamic)],
    });
    if (dynamic.length > 0) {
      throw new Error(`${dynamic[0]} imports a module it names at run time (import() or require() of an expression), which a bundle cannot hold`);
    }
    for (const file of result.outputFiles) {
      let text = file.text;
      // esbuild's `__require` (CommonJS code requiring a package or a builtin) calls the `require` of
      // the chunk defining it when there is one: give that chunk Node's.
      if (file.path.endsWith('.mjs') && /\bvar __require\b/.test(text)) text = REQUIRE_SHIM + text;
      writeFileSync(file.path, text);
    }
    return { entry: pathToFileURL(join(dir, 'slot-worker.mjs')).href, dir, buildMs: performance.now() - started };
  } catch (e) {
    removeWorkerBundle(dir);
    throw e;
  }
}

export function removeWorkerBundle(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Why a bundle could not be built, in one line. */
export function bundleFailure(e: unknown): string {
  const errors = (e as { errors?: Esbuild.Message[] } | undefined)?.errors;
  if (Array.isArray(errors) && errors.length > 0) {
    const m = errors[0]!;
    const where = m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : '';
    return `${where}${m.text}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** Folders of the bundles of this process's running jobs: removed at exit too (the CLI may exit before a job's end is handled). */
const LIVE = new Set<string>();
let exitHook = false;

/**
 * The worker bundle of one job submission, shared by its workers and by every attempt (restart) of
 * the job; built on first use, removed when the job ends. TIDEMARK_WORKER_BUNDLE=0 skips it (workers
 * import the job module with tsx, as when bundling fails).
 */
export class JobWorkerBundle {
  private built: Promise<WorkerBundle | undefined> | undefined;
  private disposed = false;

  constructor(
    private readonly jobModule: string,
    private readonly jobName: string,
  ) {}

  /** The entry a worker imports; undefined when there is no bundle (said once on stderr when bundling failed). */
  async entry(): Promise<string | undefined> {
    if (process.env.TIDEMARK_WORKER_BUNDLE === '0') return undefined;
    this.built ??= buildWorkerBundle(this.jobModule).then(
      (b) => {
        if (this.disposed) {
          removeWorkerBundle(b.dir);
          return undefined;
        }
        LIVE.add(b.dir);
        if (process.env.TIDEMARK_DEBUG) console.warn(`tidemark: worker bundle of job '${this.jobName}' built in ${b.buildMs.toFixed(1)} ms: ${b.dir}`);
        if (!exitHook) {
          exitHook = true;
          process.once('exit', () => LIVE.forEach(removeWorkerBundle));
        }
        return b;
      },
      (e: unknown) => {
        // Never fail the job over the optimisation: the workers take the slower path.
        console.warn(`tidemark: the workers of job '${this.jobName}' import ${this.jobModule} through tsx (slower start): it could not be bundled: ${bundleFailure(e)}`);
        return undefined;
      },
    );
    return (await this.built)?.entry;
  }

  dispose(): void {
    this.disposed = true;
    void this.built?.then((b) => {
      if (b === undefined) return;
      LIVE.delete(b.dir);
      removeWorkerBundle(b.dir);
    });
  }
}
