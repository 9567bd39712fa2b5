import type { Logger } from "./logger";

export interface RequestLine {
  requestId: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  user?: string;
}

const BATCH_LINES = 64;
const FLUSH_MS = 100;

/**
 * The one log line per request, in pino's JSON line format (level 30, time, service, msg),
 * written in batches. pino measured about 11 µs a line here plus a write per line, which at
 * the gateway's request rates was a quarter of its CPU; these lines have fixed, safe fields
 * (never bodies or tokens), so they skip pino's generic path. Everything else logs via pino.
 */
export class RequestLog {
  private lines: string[] = [];
  private timer: Timer | undefined;
  readonly enabled: boolean;

  constructor(
    logger: Logger,
    private readonly write: (text: string) => void = (text) => void process.stdout.write(text),
  ) {
    this.enabled = logger.isLevelEnabled("info");
  }

  line(fields: RequestLine): void {
    if (!this.enabled) return;
    this.lines.push(JSON.stringify({ level: 30, time: Date.now(), service: "tcc-ai-gateway", ...fields, msg: "request" }));
    if (this.lines.length >= BATCH_LINES) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref?.();
    }
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.lines.length) return;
    const text = `${this.lines.join("\n")}\n`;
    this.lines = [];
    this.write(text);
  }
}
