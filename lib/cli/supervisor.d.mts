export declare const STOP_GRACE_MS: number;
export declare const ANSWER_GRACE_MS: number;
export declare const OUTPUT_GRACE_MS: number;
/** Runs `tidemark <argv>` in a job thread; resolves to the exit code. */
export declare function superviseJobThread(options: { argv: string[]; cwd: string; stdin?: boolean; exit?: boolean }): Promise<number>;
