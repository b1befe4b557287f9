/** Where a build tool reports progress: one line at a time, without a trailing newline. */
export type Log = (line: string) => void;
