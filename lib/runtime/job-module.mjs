// Imports a job module by its file URL. Plain JavaScript on purpose: imported from a .ts file, tsx
// resolves a `.js` path TypeScript-style and loads a `.ts` file of the same name if there is one, so
// `tidemark run job.js` would run job.ts. From here, the file named is the file that runs.
export function importJobModule(url) {
  return import(url);
}
