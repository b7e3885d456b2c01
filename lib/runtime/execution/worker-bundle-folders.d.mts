/** Names of worker bundle folders in the temp dir start with this, then the building process's id and '-'. */
export declare const WORKER_BUNDLE_PREFIX: string;
/** The worker bundle folders in the temp dir with the process id in each name; none when it cannot be read. */
export declare function workerBundleFolders(): Array<{ pid: number; path: string }>;
