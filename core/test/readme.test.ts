import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// The README's curl walkthrough, run exactly as written against a fresh embedded server:
// only the base URL line is pointed at this test's port.
test("the README walkthrough works as written on the embedded default", async () => {
  const readme = await Bun.file(join(import.meta.dir, "../../README.md")).text();
  const section = readme.slice(readme.indexOf("## Try it"));
  const script = section.match(/```sh\n([\s\S]*?)```/)?.[1];
  expect(script).toBeDefined();
  expect(script).toContain("B=http://127.0.0.1:8080");

  const dir = mkdtempSync(join(tmpdir(), "tcc-readme-"));
  const server = Bun.spawn([process.execPath, join(import.meta.dir, "../src/main.ts")], {
    env: { PATH: process.env.PATH ?? "", DATA_DIR: dir, PORT: "0", LOG_LEVEL: "warn" },
    stdout: "pipe",
    stderr: "inherit",
  });
  try {
    const reader = server.stdout.getReader();
    let out = "";
    while (!out.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    const url = out.match(/running at (http:\/\/\S+)/)?.[1] as string;
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
    expect(stdout).not.toContain('"error"');
  } finally {
    server.kill("SIGTERM");
    await server.exited;
  }
}, 120_000);
