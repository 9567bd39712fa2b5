import type { Usage } from "../builtin/provider";

export interface RelayHooks {
  /** The first bytes went out (time to first token). */
  onFirstChunk(): void;
  /** A chunk carried usage (with stream_options.include_usage, the last one does). */
  onUsage(usage: Usage): void;
  /** Exactly once: the stream ended, failed, or the client went away. */
  onEnd(outcome: "done" | "failed" | "cancelled"): void;
}

const USAGE_MARK = '"usage":{';

/**
 * Passes an upstream SSE body through byte for byte. It decodes only to find the usage chunk:
 * lines are split out of the text solely when a chunk mentions usage at all. A client that
 * goes away cancels the upstream read (and so the upstream request); an upstream that breaks
 * off mid-stream errors the client's stream too, so the client can tell it is cut short.
 */
export function relaySse(upstream: ReadableStream<Uint8Array>, hooks: RelayHooks): ReadableStream<Uint8Array> {
  const reader = upstream.getReader();
  const decoder = new TextDecoder();
  let tail = "";
  let first = true;
  let ended = false;
  const end = (outcome: "done" | "failed" | "cancelled") => {
    if (ended) return;
    ended = true;
    hooks.onEnd(outcome);
  };
  const scan = (bytes: Uint8Array) => {
    const text = tail + decoder.decode(bytes, { stream: true });
    const cut = text.lastIndexOf("\n");
    tail = cut < 0 ? text : text.slice(cut + 1);
    if (cut < 0 || !text.includes(USAGE_MARK)) return;
    for (const line of text.slice(0, cut).split("\n")) {
      if (!line.startsWith("data:") || !line.includes(USAGE_MARK)) continue;
      try {
        const usage = (JSON.parse(line.slice(5)) as { usage?: Usage | null }).usage;
        if (usage) hooks.onUsage(usage);
      } catch {
        // Not JSON after all: the bytes still go through untouched.
      }
    }
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { value, done } = await reader.read();
          if (done) {
            end("done");
            controller.close();
            return;
          }
          if (first) {
            first = false;
            hooks.onFirstChunk();
          }
          scan(value);
          controller.enqueue(value);
        } catch (err) {
          end(ended ? "cancelled" : "failed");
          controller.error(err);
        }
      },
      cancel(reason) {
        end("cancelled");
        return reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}
