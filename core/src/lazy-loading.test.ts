import { describe, expect, test } from "bun:test";
import { join } from "node:path";

// Libraries that only rare routes or jobs need are loaded on first use (lib/lazy-module.ts), so
// that an API process does not carry them: together they were ~40 MB of its resident memory.
const LOADED_ON_FIRST_USE = [
  "openid-client", // OIDC sign-in
  "otpauth", // MFA enrolment and codes
  "fflate", // export and import archives
  "sharp", // image derivatives (a job)
  "exif-reader", // the same job
  "openai", // the first AI call: chat, semantic search, embedding jobs
  "@scalar/hono-api-reference", // the /docs page
  "@electric-sql/pglite", // the embedded database, never on PostgreSQL
];

/** The npm packages a fresh API-only core process has loaded after common requests and then `paths`. */
async function packagesLoaded(paths: string[] = []): Promise<string[]> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "../test/loaded-packages.ts"), ...paths], {
    env: process.env,
    stdout: "pipe",
    stderr: "inherit",
  });
  const out = await new Response(proc.stdout).text();
  expect(await proc.exited).toBe(0);
  return JSON.parse(out.trim().split("\n").at(-1) as string);
}

describe("start-up loads no library that only rare routes use", () => {
  test("after sign-up, login, a create, reads and a keyword search, none of them is loaded", async () => {
    const loaded = await packagesLoaded();
    // The ones every request needs are there (the list is read correctly) ...
    expect(loaded).toEqual(expect.arrayContaining(["hono", "postgres", "ioredis", "pino"]));
    // ... and the rare ones are not.
    expect(loaded.filter((p) => LOADED_ON_FIRST_USE.includes(p))).toEqual([]);
  }, 60_000);

  test("the first use of a route loads its library (here /docs)", async () => {
    const loaded = await packagesLoaded(["/docs"]);
    expect(loaded).toContain("@scalar/hono-api-reference");
    expect(loaded).not.toContain("openid-client");
  }, 60_000);
});
