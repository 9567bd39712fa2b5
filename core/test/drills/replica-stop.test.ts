// Failure drill: the read replica dies (immediate stop, like a crash) while core is under a
// mixed read/write load. Reads must fall back to the primary and nothing written may be lost.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type CoreProcess, startCore } from "../process";
import { Api, coreEnv } from "./http";
import { startLoad, tally } from "./load";
import { type Scratch, scratchRoot, startScratch, until } from "./scratch";

let scratch: Scratch;
let core: CoreProcess;
const dataDir = mkdtempSync(join(scratchRoot(), "tcc-drill-core-"));

beforeAll(async () => {
  scratch = await startScratch("replica");
  // Reads uncached and off the read-your-writes window, so the readers really read the replica.
  core = await startCore({ ...scratch.env, ...coreEnv(dataDir, { READ_CACHE: "off", DB_READ_YOUR_WRITES_MS: "100" }) });
}, 60_000);
afterAll(async () => {
  await core?.stop();
  await scratch?.close();
  rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

const metric = async (url: string, series: string) => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
};

describe("drill: the replica stops mid-load", () => {
  test("reads fall back to the primary without an error, and every acknowledged write is there", async () => {
    const api = new Api(core.url);
    const reader = await api.register("reader");
    const writer = await api.register("writer");
    const seeded: string[] = [];
    for (let i = 0; i < 20; i++) seeded.push((await reader.post("/v1/entries", { title: `seed ${i}` })).body.id);
    await until("the replica to be in rotation", async () => (await metric(core.url, 'tcc_db_replica_healthy{replica="0"}')) === 1);
    const replicaReadsBefore = (await metric(core.url, 'tcc_db_reads_routed_total{target="replica"}')) ?? 0;

    const written: string[] = [];
    const load = startLoad(6, async (w, i) => {
      if (w === 0) {
        const res = await writer.post("/v1/entries", { title: `during the drill ${i}`, tags: ["drill"] });
        if (res.status === 201) written.push(res.body.id);
        return { kind: "create", status: res.status };
      }
      if (w % 2) {
        const res = await reader.get(`/v1/entries/${seeded[i % seeded.length]}`);
        return { kind: "get", status: res.status };
      }
      const res = await reader.get("/v1/entries?limit=10");
      return { kind: "list", status: res.status };
    });
    await Bun.sleep(1_000);
    const replicaReadsMid = (await metric(core.url, 'tcc_db_reads_routed_total{target="replica"}')) ?? 0;
    await scratch.pgCtl("replica", "stop");
    const stoppedAt = load.outcomes.length;
    await Bun.sleep(2_000);
    const outcomes = await load.stop();

    // The load ran on the replica before the stop and kept going after it.
    expect(replicaReadsMid).toBeGreaterThan(replicaReadsBefore);
    expect(outcomes.length - stoppedAt).toBeGreaterThan(20);
    const failed = outcomes.filter((o) => o.status !== (o.kind === "create" ? 201 : 200));
    // Shown whole on failure: which requests failed, when (ms from the start) and how.
    expect({ failed: failed.slice(0, 5), counts: tally(failed) }).toEqual({ failed: [], counts: {} });

    // core took the replica out of rotation and says so.
    const ready = await api.get("/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe("degraded");
    expect(await metric(core.url, 'tcc_db_replica_healthy{replica="0"}')).toBe(0);

    // Nothing acknowledged was lost: every create that answered 201 is there, read from the primary.
    const listed = new Set((await writer.all<{ id: string }>("/v1/entries")).map((e) => e.id));
    expect(written.length).toBeGreaterThan(5);
    expect(written.filter((id) => !listed.has(id))).toEqual([]);

    // The replica comes back, catches up through its slot, and is used again.
    await scratch.pgCtl("replica", "start");
    await until("the replica back in rotation", async () => (await metric(core.url, 'tcc_db_replica_healthy{replica="0"}')) === 1, 20_000);
    const onReplica = scratch.sql("replica");
    await until("the replica to hold every write", async () => {
      const [row] = await onReplica<{ n: number }[]>`select count(*)::int as n from entries where user_id = ${writer.userId}`;
      return row?.n === written.length;
    });
    console.log(
      `[replica drill] ${outcomes.length} requests, ${outcomes.length - stoppedAt} after the stop, ${written.length} creates, 0 failed`,
    );
  }, 60_000);
});
