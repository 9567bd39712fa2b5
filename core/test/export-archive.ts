import { unzipSync } from "fflate";
import type { Client, Harness } from "./harness";

/** Asks for an export, waits for the job, downloads the zip through its signed link; the archive's files by name. */
export async function exportArchive(
  h: Harness,
  u: Client,
): Promise<{ files: Record<string, Uint8Array>; status: any; url: string; zip: Uint8Array }> {
  const queued = await u.post("/v1/me/export");
  if (queued.status !== 202) throw new Error(`export: ${queued.status} ${JSON.stringify(queued.body)}`);
  await h.services.jobs.drain("exports");
  const status = await u.get(`/v1/me/export/${queued.body.id}`);
  if (status.body.status !== "ready") throw new Error(`export not ready: ${JSON.stringify(status.body)}`);
  const url = new URL(status.body.downloadUrl, "http://x");
  const res = await h.anon.fetch("GET", url.pathname + url.search);
  if (res.status !== 200) throw new Error(`download: ${res.status}`);
  const zip = new Uint8Array(await res.arrayBuffer());
  return { files: unzipSync(zip), status: status.body, url: url.pathname + url.search, zip };
}

export const jsonOf = (files: Record<string, Uint8Array>, name: string) => JSON.parse(new TextDecoder().decode(files[name]));
