// Streams an upload of `mb` MB of random bytes to core (PUT /v1/files) while sampling core's
// resident memory every 20 ms: streaming must keep RSS flat, whatever the file's size.

const rssKb = async (pid: number) => Number((await Bun.file(`/proc/${pid}/status`).text()).match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
const CHUNK = 64 * 1024;

export interface UploadRss {
  mb: number;
  sized: boolean;
  seconds: number;
  beforeMb: number;
  peakMb: number;
  afterMb: number;
  samples: number;
}

/**
 * `sized`: the body is a file on disk, sent with Content-Length (as curl -T does) rather than
 * chunked; Bun's server treats the two differently, so both are worth a figure.
 */
export async function measureUpload(
  base: string,
  bearer: Record<string, string>,
  pid: number,
  mb: number,
  sized = false,
): Promise<UploadRss> {
  const total = mb * 1024 * 1024;
  let sent = 0;
  // One random chunk, re-sent: generating 150 MB of randomness would time the client, not core.
  // The first bytes differ per run so the upload is never deduplicated against an earlier one.
  const block = crypto.getRandomValues(new Uint8Array(CHUNK));
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(CHUNK, total - sent);
      const chunk = block.slice(0, n);
      if (sent === 0) crypto.getRandomValues(chunk.subarray(0, 32));
      controller.enqueue(chunk);
      sent += n;
    },
  });
  let body: ReadableStream<Uint8Array> | Blob = stream;
  const tmp = `/tmp/tcc-bench-upload-${process.pid}-${mb}.bin`;
  if (sized) {
    await Bun.write(tmp, new Response(stream));
    body = Bun.file(tmp);
  }
  await Bun.sleep(500); // let earlier load's garbage settle before the "before" figure
  const beforeKb = await rssKb(pid);
  let peakKb = beforeKb;
  let samples = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peakKb = Math.max(peakKb, await rssKb(pid));
      samples++;
      await Bun.sleep(20);
    }
  })();
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/files?name=big-${mb}.bin`, {
    method: "PUT",
    headers: { ...bearer, "content-type": "application/octet-stream" },
    body,
  });
  const answer = (await res.json()) as { size?: number };
  const seconds = (performance.now() - t0) / 1000;
  sampling = false;
  await sampler;
  if (sized) await Bun.file(tmp).delete();
  if (!res.ok || answer.size !== total) throw new Error(`upload of ${mb} MB: ${res.status} ${JSON.stringify(answer)}`);
  await Bun.sleep(200);
  const toMb = (kb: number) => Math.round((kb / 1024) * 10) / 10;
  return { mb, sized, seconds, beforeMb: toMb(beforeKb), peakMb: toMb(peakKb), afterMb: toMb(await rssKb(pid)), samples };
}

export const describeUpload = (r: UploadRss) =>
  `${r.sized ? "Content-Length" : "chunked"}: ${(r.mb / r.seconds).toFixed(1)} MB/s (${r.seconds.toFixed(2)} s); core RSS ${r.beforeMb} MB before, ${r.peakMb} MB peak (${r.samples} samples / 20 ms), ${r.afterMb} MB after: peak delta ${(r.peakMb - r.beforeMb).toFixed(1)} MB`;
