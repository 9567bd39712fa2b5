import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serviceEnv } from "../../test/harness";
import { isAlive, startCore } from "../../test/process";

/** The gateway core started as its child, found among the child processes of `pid`. */
function gatewayChildOf(pid: number): number | undefined {
  const out = Bun.spawnSync(["ps", "-o", "pid=,args=", "--ppid", String(pid)]).stdout.toString();
  const line = out.split("\n").find((l) => l.includes("ai-gateway/src/main.ts"));
  return line ? Number(line.trim().split(/\s+/)[0]) : undefined;
}

test("without AI_GATEWAY_URL core runs the built-in gateway: entries are embedded and found by meaning; it dies with core", async () => {
  const core = await startCore({
    ...serviceEnv(),
    DATA_DIR: mkdtempSync(join(tmpdir(), "tcc-gw-proc-")),
    JOB_QUEUE_PREFIX: `tcc:test-jobs:gw-proc:${process.pid}`,
  });
  try {
    const json = { "content-type": "application/json" };
    const reg = await fetch(`${core.url}/v1/auth/register`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ email: `gw-${Date.now()}@example.test`, password: "embedded password" }),
    });
    const { accessToken } = (await reg.json()) as { accessToken: string };
    const auth = { ...json, authorization: `Bearer ${accessToken}` };
    const made = (await (
      await fetch(`${core.url}/v1/entries`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ title: "Morning", content: "Went running along the river." }),
      })
    ).json()) as { id: string };
    let state = "";
    for (let i = 0; i < 300 && state !== "current"; i++) {
      await Bun.sleep(50);
      state = ((await (await fetch(`${core.url}/v1/entries/${made.id}/embedding`, { headers: auth })).json()) as { state: string }).state;
    }
    expect(state).toBe("current");
    const found = (await (await fetch(`${core.url}/v1/search?q=runner&mode=semantic`, { headers: auth })).json()) as {
      items: { entry: { id: string } }[];
    };
    expect(found.items.map((i) => i.entry.id)).toEqual([made.id]);

    const child = gatewayChildOf(core.proc.pid);
    expect(child).toBeGreaterThan(0);
    // Killed outright, core cannot stop its child; the gateway notices and exits by itself.
    core.proc.kill("SIGKILL");
    await core.proc.exited;
    for (let i = 0; i < 100 && isAlive(child as number); i++) await Bun.sleep(50);
    expect(isAlive(child as number)).toBe(false);
  } finally {
    core.proc.kill("SIGKILL");
  }
}, 60_000);
