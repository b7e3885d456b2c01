/** Imports a job module by its file URL: exactly that file (see job-module.mjs). */
export declare function importJobModule(url: string): Promise<unknown>;
