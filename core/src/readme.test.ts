import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCore } from "../test/process";

// The README's curl walkthrough, run exactly as written against a fresh embedded server:
// only the base URL line is pointed at this test's port.
test("the README walkthrough works as written on the embedded default", async () => {
  const readme = await Bun.file(join(import.meta.dir, "../../README.md")).text();
  const section = readme.slice(readme.indexOf("## Try it"));
  const script = section.match(/```sh\n([\s\S]*?)```/)?.[1];
  expect(script).toBeDefined();
  expect(script).toContain("B=http://127.0.0.1:8080");

  const dir = mkdtempSync(join(tmpdir(), "tcc-readme-"));
  const server = await startCore({ DATA_DIR: dir });
  try {
    const url = server.url;
    const run = Bun.spawn(["bash", "-euo", "pipefail", "-c", (script as string).replace("B=http://127.0.0.1:8080", `B=${url}`)], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text(), run.exited]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain('"email":"ana@example.com"');
    expect(stdout).toContain('"title":"Serviced the bike"');
    expect(stdout).toContain('"occurredAt":"2026-03-14T09:00:00.000Z"');
    expect(stdout).toContain("<mark>Serviced</mark> the <mark>bike</mark>");
    expect(stdout).toMatch(/"name":"maintenance","entryCount":1/);
    expect(stdout).toMatch(/"title":"<mark>Serviced<\/mark> the bike".*"mode":"semantic"/);
    expect(stdout).toContain("event: citations");
    expect(stdout).toContain("No language model is configured");
    expect(stdout).toMatch(/\[1\] Serviced the bike \(/);
    expect(stdout).toContain("event: done");
    expect(stdout).not.toContain('"error"');
    expect(stdout).not.toContain("event: error");
  } finally {
    await server.stop();
  }
}, 120_000);
