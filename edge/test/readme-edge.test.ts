import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCore } from "../../core/test/process";
import { startEdge } from "../local/miniflare";

// The README's curl walkthrough, run as written through the edge in front of a fresh embedded
// core (as `npm start` plus `npm run start:edge`): only the base URL is pointed at the edge.
test("the README walkthrough works through the edge", async () => {
  const readme = await Bun.file(join(import.meta.dir, "../../README.md")).text();
  const script = readme.slice(readme.indexOf("## Try it")).match(/```sh\n([\s\S]*?)```/)?.[1] as string;
  expect(script).toContain("B=http://127.0.0.1:8080");
  expect(readme).toContain("npm run start:edge` and set `B=http://127.0.0.1:8787`");
  const core = await startCore({ DATA_DIR: mkdtempSync(join(tmpdir(), "tcc-readme-edge-")) });
  const edge = await startEdge({ CORE_ORIGIN: core.url });
  try {
    const run = Bun.spawn(["bash", "-euo", "pipefail", "-c", script.replace("B=http://127.0.0.1:8080", `B=${edge.url}`)], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text(), run.exited]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain('"title":"Serviced the bike"');
    expect(stdout).toContain("<mark>Serviced</mark> the <mark>bike</mark>");
    expect(stdout).toMatch(/"name":"maintenance","entryCount":1/);
    expect(stdout).toContain("event: citations");
    expect(stdout).toContain("event: done");
    expect(stdout).not.toContain('"error"');
  } finally {
    await edge.stop();
    await core.stop();
  }
}, 120_000);
