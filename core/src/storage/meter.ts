import { ObjectTooLargeError, UploadInterruptedError } from "./types";

/** Counts and hashes bytes as they pass, refusing the chunk that would cross the limit before it is written. */
export class Meter {
  size = 0;
  private readonly hasher = new Bun.CryptoHasher("sha256");

  constructor(private readonly maxBytes = Number.POSITIVE_INFINITY) {}

  add(chunk: Uint8Array): void {
    this.size += chunk.byteLength;
    if (this.size > this.maxBytes) throw new ObjectTooLargeError(this.maxBytes);
    this.hasher.update(chunk);
  }

  digest(): string {
    return this.hasher.digest("hex");
  }
}

/** Bytes of upload between two garbage-collection hints. */
const GC_EVERY_BYTES = 16 * 1024 * 1024;

/**
 * Every chunk of a request body is a new buffer, garbage as soon as it is written. The collector
 * sizes its next run on the heap, so next to a large heap (PGlite's, in the embedded default) it
 * waited for 100+ MB of dead chunks; a hint every 16 MB keeps a large upload's RSS flat.
 */
function collectNow(meter: Meter, chunkBytes: number): void {
  if (Math.floor(meter.size / GC_EVERY_BYTES) !== Math.floor((meter.size - chunkBytes) / GC_EVERY_BYTES)) Bun.gc(false);
}

/**
 * Yields the body chunk by chunk, counted by `meter`. Stream errors and aborts become
 * UploadInterruptedError; stopping early (limit, abort, consumer failure) cancels the source so
 * the client stops sending.
 */
export async function* metered(
  body: ReadableStream<Uint8Array> | Uint8Array,
  meter: Meter,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  if (signal?.aborted) throw new UploadInterruptedError(signal.reason);
  if (body instanceof Uint8Array) {
    meter.add(body);
    yield body;
    return;
  }
  const reader = body.getReader();
  const onAbort = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  let finished = false;
  try {
    for (;;) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (err) {
        finished = true; // an errored stream cannot be cancelled
        throw new UploadInterruptedError(err);
      }
      if (signal?.aborted) throw new UploadInterruptedError(signal.reason);
      if (next.done) {
        finished = true;
        return;
      }
      meter.add(next.value);
      collectNow(meter, next.value.byteLength);
      yield next.value;
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
