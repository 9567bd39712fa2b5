// Failure drill: Redis is killed (SIGKILL) under load and started again, with the append-only
// file production runs with (docker-compose: --appendonly yes). The API must keep answering,
// and what lives in Redis must come back: rate-limit state, logout revocations, queued jobs.
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
// Every process of this drill shares one set of job queues, like the pods of one deployment.
const queues = { JOB_QUEUE_PREFIX: `tcc:drill-redis:${process.pid}` };
let api: CoreProcess;
let limited: CoreProcess;

beforeAll(async () => {
  scratch = await startScratch("redis", { redisAppendOnly: true });
  // API pods only: jobs queue up in Redis and nothing takes them until a worker starts.
  api = await startCore({ ...scratch.env, ...coreEnv(dataDir, { JOB_WORKERS: "off", ...queues }) });
  // A second pod with a tight per-user limit (one request per 10 s after a burst).
  limited = await startCore({ ...scratch.env, ...coreEnv(dataDir, { JOB_WORKERS: "off", RATE_LIMIT_USER_PER_MIN: "6", ...queues }) });
  cores.push(api, limited);
}, 60_000);
afterAll(async () => {
  await Promise.all(cores.map((c) => c.stop()));
  await scratch?.close();
  rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

describe("drill: Redis is killed and restarted mid-load", () => {
  test("the API keeps answering; limits, revocations and queued jobs survive the restart", async () => {
    const a = new Api(api.url);
    const writer = await a.register("writer");
    const loggedOut = await a.register("logged-out");
    const throttled = new Api(limited.url, (await a.register("throttled")).token);

    const written: string[] = [];
    const create = async (title: string) => {
      const res = await writer.post("/v1/entries", { title, content: `${title}: something to embed` });
      if (res.status === 201) written.push(res.body.id);
      return res.status;
    };
    for (let i = 0; i < 5; i++) expect(await create(`before ${i}`)).toBe(201);
    expect((await loggedOut.post("/v1/auth/logout")).status).toBe(204);
    expect((await loggedOut.get("/v1/auth/me")).status).toBe(401);
    const throttledStatuses: number[] = [];
    for (let i = 0; i < 10; i++) throttledStatuses.push((await throttled.get("/v1/auth/me")).status);
    expect(throttledStatuses).toContain(429);

    const load = startLoad(4, async (w, i) => {
      if (w === 0) {
        await Bun.sleep(20); // a steady trickle of writes; each one is a job to embed later
        return { kind: "create", status: await create(`during ${i}`) };
      }
      const res = await writer.get(w === 1 ? "/v1/entries?limit=5" : `/v1/entries/${written[i % 5]}`);
      return { kind: w === 1 ? "list" : "get", status: res.status };
    });
    await Bun.sleep(500);
    await scratch.redisKill();
    const killedAt = load.outcomes.length;
    await Bun.sleep(1_500);
    await scratch.redisStart();
    await Bun.sleep(1_000);
    const outcomes = await load.stop();
    const failed = outcomes.filter((o) => o.status !== (o.kind === "create" ? 201 : 200));
    expect({ failed: failed.slice(0, 5), counts: tally(failed) }).toEqual({ failed: [], counts: {} });
    expect(outcomes.length - killedAt).toBeGreaterThan(20);
    await until("readyz ok again", async () => (await a.get("/readyz")).body.status === "ok", 10_000, 100);
    for (let i = 0; i < 3; i++) expect(await create(`after ${i}`)).toBe(201);

    // The logout made before the crash still holds, on a pod that never saw it.
    expect((await new Api(limited.url, loggedOut.token).get("/v1/auth/me")).status).toBe(401);
    expect((await loggedOut.get("/v1/auth/me")).status).toBe(401);
    // The throttled user's spent budget survived too: no fresh burst after the restart.
    expect((await throttled.get("/v1/auth/me")).status).toBe(429);

    // Jobs queued before the crash (kept by the append-only file), held by core while Redis was
    // gone, and queued after: a worker started now embeds every entry. No start-up sweep, so
    // only jobs that really were in the queue count.
    cores.push(await startCore({ ...scratch.env, ...coreEnv(dataDir, { JOB_WORKERS: "on", EMBEDDING_SWEEP_MAX: "0", ...queues }) }));
    const pending = async () => {
      const states = await Promise.all(written.map(async (id) => (await writer.get(`/v1/entries/${id}/embedding`)).body.state));
      return states.filter((s) => s !== "current").length;
    };
    await until("every entry to be embedded", async () => (await pending()) === 0, 60_000, 250).catch(async (err) => {
      const states = await Promise.all(
        written.map(async (id) => [
          (await writer.get(`/v1/entries/${id}`)).body.title,
          (await writer.get(`/v1/entries/${id}/embedding`)).body.state,
        ]),
      );
      console.log(JSON.stringify(states.filter((s) => s[1] !== "current")), written.length);
      throw err;
    });
    console.log(
      `[redis drill] ${outcomes.length} requests (${outcomes.length - killedAt} from the kill on), 0 failed; ${written.length} entries embedded after the restart`,
    );
  }, 120_000);
});
