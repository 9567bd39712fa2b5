export interface UrlLineOptions {
  /** Names the process in errors: "AI gateway exited (code 3) before listening". */
  name: string;
  /** The URL in one line of the process's output, or null for any other line. */
  parse: (line: string) => string | null;
  /** The words of the line we wait for, for the error when it never comes. */
  marker: string;
  timeoutMs: number;
}

/**
 * Reads a child process's stdout line by line until `parse` finds the URL it listens at. The
 * other lines, and all output after that one, are copied to our stderr: nothing the child says
 * is lost, and it never blocks on a full pipe.
 */
export async function readUrlLine(stdout: ReadableStream<Uint8Array>, exited: Promise<number>, opts: UrlLineOptions): Promise<string> {
  const reader = stdout.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${opts.name} printed no "${opts.marker}" line within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
  });
  const find = async (): Promise<string> => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`${opts.name} exited (code ${await exited}) before listening`);
      buffered += decoder.decode(value, { stream: true });
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const url = opts.parse(line);
        if (url) return url;
        process.stderr.write(`${line}\n`);
        newline = buffered.indexOf("\n");
      }
    }
  };
  try {
    return await Promise.race([find(), timeout]);
  } finally {
    clearTimeout(timer);
    void drain(reader, buffered);
  }
}

async function drain(reader: { read(): Promise<{ value?: Uint8Array; done: boolean }> }, pending: string): Promise<void> {
  if (pending) process.stderr.write(pending);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done || !value) return;
      process.stderr.write(value);
    }
  } catch {
    // The child is gone.
  }
}
