// tidemark running from its TypeScript sources (this repository) rather than from its build (dist/):
// a job's `import 'tidemark'` must then reach the same sources, which the package's exports name under
// the condition `tidemark-source`. The entries of the job thread and of slot workers register this
// module's resolve hook when they are sources themselves. (Not execArgv's --conditions: a worker given
// execArgv refuses process-wide flags such as --max-old-space-size, which it would otherwise inherit.)
import { register } from 'node:module';

const SOURCE_CONDITION = 'tidemark-source';

/**
 * Resolve hook (runs on the loader thread): resolves with the condition added. A job may import an
 * installed tidemark, not this repository (this command run on a project that has tidemark from npm):
 * that package ships no sources, so its `tidemark-source` files are missing; it resolves as Node would.
 */
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions ?? [];
  if (conditions.includes(SOURCE_CONDITION)) return nextResolve(specifier, context);
  try {
    return await nextResolve(specifier, { ...context, conditions: [...conditions, SOURCE_CONDITION] });
  } catch (e) {
    if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    return nextResolve(specifier, { ...context, conditions }); // (Node merges what a hook passes into `context`)
  }
}

/** Adds the condition to module resolution in this thread (after tsx's register(): this hook runs first). */
export function registerSourceCondition() {
  register(import.meta.url);
}
