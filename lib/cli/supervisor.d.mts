/** Exit codes after a signal, as a shell reports a process killed by it (128 + signal number). */
export declare const SIGNAL_EXIT_CODES: Readonly<Record<'SIGINT' | 'SIGTERM' | 'SIGPIPE', number>>;
export declare const STOP_GRACE_MS: number;
export declare const ANSWER_GRACE_MS: number;
export declare const OUTPUT_GRACE_MS: number;
/** Runs `tidemark <argv>` in a job thread; resolves to the exit code. */
export declare function superviseJobThread(options: { argv: string[]; cwd: string; stdin?: boolean; exit?: boolean }): Promise<number>;
