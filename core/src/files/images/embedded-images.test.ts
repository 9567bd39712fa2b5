import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmbedded } from "../../../test/harness";
import { inspect, jpeg } from "../../../test/jpeg";
import { closeServices } from "../../bootstrap";
import { runStartupSweeps } from "../../startup-sweeps";

// PGlite can take seconds to start, twice here.
const SLOW = 120_000;

const embedded = (dataDir: string, jobWorkers: "on" | "off") => createEmbedded(dataDir, { JOB_WORKERS: jobWorkers });

test(
  "embedded default: the in-process queue makes derivatives, and a restart re-queues the ones it lost",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "tcc-embedded-images-"));
    // First run: jobs are queued in memory but no worker runs them, as if the process stopped first.
    const first = await embedded(dir, "off");
    expect(first.services.jobs.kind).toBe("memory");
    const reg = await first.client.post("/v1/auth/register", { email: "photos@example.test", password: "embedded password" });
    const me = first.client.withToken(reg.body.accessToken);
    const bytes = await jpeg({ width: 900, height: 600, gps: true, takenAt: "2023:01:02 03:04:05" });
    const up = await me.fetch("PUT", "/v1/files?name=lost.jpg", bytes, { "content-type": "image/jpeg" });
    expect(up.status).toBe(201);
    const { id } = await up.json();
    await closeServices(first.services);

    const second = await embedded(dir, "on");
    try {
      const again = second.client.withToken(reg.body.accessToken);
      await runStartupSweeps(second.services); // what main.ts runs once it listens
      await second.services.jobs.drain("images", 30_000);
      const meta = (await again.get(`/v1/files/${id}`)).body.metadata;
      expect(meta).toMatchObject({ width: 900, height: 600, takenAt: "2023-01-02T03:04:05", hasLocation: true });
      expect(Object.keys(meta.derivatives).sort()).toEqual(["1280", "320"]);
      const thumb = await again.fetch("GET", `/v1/files/${id}/content?size=320`);
      expect(thumb.status).toBe(200);
      expect(await inspect(new Uint8Array(await thumb.arrayBuffer()))).toMatchObject({
        format: "webp",
        width: 320,
        height: 213,
        gps: null,
      });

      // A new upload on the running server goes through the in-process queue directly.
      const next = await again.fetch("PUT", "/v1/files?name=new.jpg", await jpeg({ width: 300, height: 300, colour: "#123456" }), {
        "content-type": "image/jpeg",
      });
      const made = await next.json();
      await second.services.jobs.drain("images", 30_000);
      expect((await again.get(`/v1/files/${made.id}`)).body.metadata.derivatives["1280"]).toMatchObject({ width: 300, height: 300 });
    } finally {
      await closeServices(second.services);
    }
  },
  SLOW,
);
