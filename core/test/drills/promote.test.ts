// Failure drill: the primary dies (immediate stop) under a read/write load; the replica is
// promoted and core is pointed at it (a new DATABASE_URL and a restart, as a Secret change
// and a rollout restart would do). Writes must resume, nothing acknowledged may be lost, and
// the drill reports how long writes were unavailable.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type CoreProcess, startCore } from "../process";
import { Api, coreEnv } from "./http";
import { startLoad, tally } from "./load";
import { type Scratch, scratchRoot, startScratch, until } from "./scratch";

let scratch: Scratch;
const cores: CoreProcess[] = [];
const dataDir = mkdtempSync(join(scratchRoot(), "tcc-drill-core-"));

beforeAll(async () => {
  scratch = await startScratch("promote");
  // Synchronous replication: a commit is acknowledged only once the replica has it, so the
  // drill can demand that no acknowledged write is lost. (With the default asynchronous
  // replication, the last moments of writes before a crash can be; see the README.)
  const primary = scratch.sql("primary");
  await primary`alter system set synchronous_standby_names = '*'`;
  await primary`alter system set synchronous_commit = 'on'`;
  await primary`select pg_reload_conf()`;
  await until(
    "the replica to be synchronous",
    async () => (await primary`select sync_state from pg_stat_replication`)[0]?.sync_state === "sync",
  );
}, 60_000);
afterAll(async () => {
  await Promise.all(cores.map((c) => c.stop()));
  await scratch?.close();
  rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

describe("drill: the primary stops and the replica is promoted", () => {
  test("writes resume after reconfiguration, nothing acknowledged is lost, reads answered while the old process lives", async () => {
    const settings = coreEnv(dataDir, { READ_CACHE: "off", DB_READ_YOUR_WRITES_MS: "100" });
    const before = await startCore({ ...scratch.env, ...settings });
    cores.push(before);
    const target = new Api(before.url);
    const writer = await target.register("writer");
    const reader = await target.register("reader");
    const seeded: string[] = [];
    for (let i = 0; i < 10; i++) seeded.push((await reader.post("/v1/entries", { title: `seed ${i}` })).body.id);
    await Bun.sleep(300); // past the reader's read-your-writes window: its reads go to the replica

    let base = before.url;
    const acknowledged: string[] = [];
    const unavailable: { code: string; retryAfter: string | null }[] = [];
    const load = startLoad(4, async (w, i) => {
      const as = (api: Api) => new Api(base, api.token);
      if (w === 0) {
        const res = await as(writer).post("/v1/entries", { title: `write ${i}` });
        if (res.status === 201) acknowledged.push(res.body.id);
        else if (res.status === 503) unavailable.push({ code: res.body?.error?.code, retryAfter: res.headers.get("retry-after") });
        return { kind: "create", status: res.status };
      }
      const res = await as(reader).get(`/v1/entries/${seeded[i % seeded.length]}`);
      return { kind: "get", status: res.status };
    });
    await Bun.sleep(800);

    const t0 = Date.now();
    await scratch.pgCtl("primary", "stop");
    const stopped = Date.now();
    await Bun.sleep(500); // the failure is noticed (in production: alert, decision, runbook)
    const promoteStarted = Date.now();
    await scratch.pgCtl("replica", "promote");
    const promoted = Date.now();
    // Reconfiguration: core again, with the promoted server as its primary and no replica.
    const after = await startCore({
      ...settings,
      DATABASE_URL: scratch.url("replica"),
      DATABASE_REPLICA_URLS: "",
      REDIS_URL: scratch.env.REDIS_URL as string,
    });
    cores.push(after);
    const coreReady = Date.now();
    base = after.url;
    await until(
      "writes to resume",
      async () => load.outcomes.some((o) => o.kind === "create" && o.status === 201 && o.at >= coreReady - load.startedAt),
      20_000,
      20,
    );
    await Bun.sleep(500);
    const outcomes = await load.stop();
    const crashedBeforeStop = before.proc.exitCode !== null || before.proc.signalCode !== null;
    await before.stop();

    // Times on the load's clock (ms since it started).
    const stopAt = stopped - load.startedAt;
    const writes = outcomes.filter((o) => o.kind === "create");
    const lastOk = Math.max(...writes.filter((o) => o.status === 201 && o.at + o.ms <= stopAt).map((o) => o.at + o.ms));
    const firstOkAfter = Math.min(...writes.filter((o) => o.status === 201 && o.at >= stopAt).map((o) => o.at + o.ms));
    const failedWrites = writes.filter((o) => o.status !== 201);
    // Writes failed only while there was no primary to take them: 503 UNAVAILABLE with Retry-After,
    // or no answer at all if the old process died (see crashedBeforeStop below).
    expect(failedWrites.length).toBeGreaterThan(0);
    expect(failedWrites.filter((o) => o.status !== 503 && o.status !== 0)).toEqual([]);
    expect(unavailable.every((u) => u.code === "UNAVAILABLE" && u.retryAfter === "1")).toBe(true);
    // (From when the stop was issued: pg_ctl returns only after the server is gone.)
    expect(failedWrites.filter((o) => o.at + o.ms < t0 - load.startedAt || o.at > coreReady - load.startedAt)).toEqual([]);
    expect(Number.isFinite(firstOkAfter)).toBe(true);
    // Reads were answered by the replica while the primary was down, then by the promoted server:
    // never an error status (status 0 only if the old process was gone).
    const reads = outcomes.filter((o) => o.kind === "get");
    expect(tally(reads.filter((o) => o.status !== 200 && o.status !== 0))).toEqual({});

    // Every acknowledged write is on the promoted server, and it takes new ones.
    const promotedSql = scratch.sql("replica");
    const rows = await promotedSql<{ id: string }[]>`select id from entries where user_id = ${writer.userId}`;
    const have = new Set(rows.map((r) => r.id));
    expect(acknowledged.filter((id) => !have.has(id))).toEqual([]);
    expect((await promotedSql`select pg_is_in_recovery() as r`)[0]?.r).toBe(false);

    const report = {
      writesUnavailableMs: firstOkAfter - lastOk,
      primaryStopToPromotedMs: promoted - t0,
      promoteMs: promoted - promoteStarted,
      coreRestartMs: coreReady - promoted,
      failedWrites: failedWrites.length,
      slowestFailedWriteMs: Math.max(...failedWrites.map((o) => o.ms)),
      readsWithoutAnswer: reads.filter((o) => o.status === 0).length,
      crashedBeforeStop,
      statuses: tally(failedWrites),
      acknowledgedWrites: acknowledged.length,
      lostWrites: 0,
    };
    console.log(`[promotion drill] ${JSON.stringify(report)}`);
  }, 120_000);
});
