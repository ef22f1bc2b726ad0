/** Where the CLI reads and writes: the process by default, strings in unit tests. */

export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly readStdin: () => Promise<string>;
  /** Whether standard error is a terminal (progress rewrites one line) or a log (a line per 10%). */
  readonly interactive: boolean;
  /**
   * Calls `listener` on each Ctrl-C (SIGINT) until the returned function is called; while a
   * listener is set, Ctrl-C does not end the process by itself. Absent where there is no signal
   * (in-process tests). `exit` ends the process at once with `code`.
   */
  readonly onInterrupt?: (listener: () => void) => () => void;
  readonly exit?: (code: number) => never;
}

/** The real process: its streams, its environment and standard input. */
export const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  interactive: process.stderr.isTTY === true,
  onInterrupt: (listener) => {
    process.on('SIGINT', listener);
    return () => process.off('SIGINT', listener);
  },
  exit: (code) => process.exit(code),
};
