import { writeSync } from "node:fs";

/**
 * A pino destination for high-volume lines: they are gathered in memory and written with one
 * synchronous write(2) per `minLength` characters, every `flushMs`, and on exit. pino's own
 * batching (sonic-boom with minLength) measures every line with Buffer.byteLength, which under
 * Bun cost more than the rest of the log line (8% of a cached read's CPU); string length is
 * enough to decide when to flush. Writes stay synchronous, so a full pipe slows the process
 * rather than losing lines; a closed one (EPIPE) drops them instead of failing requests.
 */
export class BatchedLines {
  private lines: string[] = [];
  private length = 0;
  private broken = false;

  constructor(
    private readonly fd: number,
    private readonly minLength = 8192,
    flushMs = 250,
  ) {
    setInterval(() => this.flush(), flushMs).unref();
    process.on("exit", () => this.flush());
  }

  write(line: string): boolean {
    this.lines.push(line);
    this.length += line.length;
    if (this.length >= this.minLength) this.flush();
    return true;
  }

  flush(): void {
    if (this.length === 0) return;
    const bytes = Buffer.from(this.lines.join(""));
    this.lines = [];
    this.length = 0;
    if (!this.broken) this.writeAll(bytes);
  }

  private writeAll(bytes: Buffer): void {
    let offset = 0;
    while (offset < bytes.length) {
      try {
        offset += writeSync(this.fd, bytes, offset);
      } catch (err) {
        // A non-blocking stdout that is full: wait for the reader, as sonic-boom does.
        if ((err as NodeJS.ErrnoException).code === "EAGAIN") {
          Bun.sleepSync(1);
          continue;
        }
        this.broken = true;
        console.error(`request log lines dropped: ${String(err)}`);
        return;
      }
    }
  }
}
