// Failure drill: core is SIGKILLed (no shutdown handler runs) while creates with tags are in
// flight. No entry may be half-written, no queued job may point at an entry that does not
// exist, and every entry that did commit is embedded once core is back.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RedisClient } from "bun";
import { type CoreProcess, startCore } from "../process";
import { Api, coreEnv } from "./http";
import { startLoad } from "./load";
import { type Scratch, scratchRoot, startScratch, until } from "./scratch";

let scratch: Scratch;
const cores: CoreProcess[] = [];
const dataDir = mkdtempSync(join(scratchRoot(), "tcc-drill-core-"));
const queues = { JOB_QUEUE_PREFIX: `tcc:drill-kill:${process.pid}` };
const TAGS = ["alpha", "beta", "gamma"];

beforeAll(async () => {
  scratch = await startScratch("kill");
}, 60_000);
afterAll(async () => {
  await Promise.all(cores.map((c) => c.stop()));
  await scratch?.close();
  rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

/**
 * The entries of every embedding job in the queue, whatever its state (BullMQ keeps one hash per
 * job); a coalesced job (one user's creates of one tick) counts once per entry it names.
 */
async function queuedJobs(redisUrl: string): Promise<{ userId: string; entryId: string }[]> {
  const redis = new RedisClient(redisUrl);
  try {
    const keys = (await redis.send("KEYS", [`${queues.JOB_QUEUE_PREFIX}:embeddings:*`])) as string[];
    const jobs: { userId: string; entryId: string }[] = [];
    for (const key of keys) {
      if ((await redis.send("TYPE", [key])) !== "hash") continue;
      const data = (await redis.send("HGET", [key, "data"])) as string | null;
      if (!data) continue;
      const job = JSON.parse(data) as { userId: string; entryId?: string; entryIds?: string[] };
      for (const entryId of job.entryIds ?? [job.entryId as string]) jobs.push({ userId: job.userId, entryId });
    }
    return jobs;
  } finally {
    redis.close();
  }
}

describe("drill: core is SIGKILLed mid-create", () => {
  test("no partial entry, no orphan job, and every committed entry is embedded after the restart", async () => {
    // An API pod: jobs stay in the queue where the drill can inspect them.
    const core = await startCore({ ...scratch.env, ...coreEnv(dataDir, { JOB_WORKERS: "off", ...queues }) });
    cores.push(core);
    const u = await new Api(core.url).register("killed");
    const acknowledged: string[] = [];
    const load = startLoad(8, async (w, i) => {
      const res = await u.post("/v1/entries", { title: `w${w} #${i}`, content: "x".repeat(2000), tags: TAGS });
      if (res.status === 201) acknowledged.push(res.body.id);
      return { kind: "create", status: res.status };
    });
    await until("creates to be flowing", async () => acknowledged.length >= 30, 20_000, 10);
    core.proc.kill("SIGKILL");
    const outcomes = await load.stop();
    await core.proc.exited;
    const cutOff = outcomes.filter((o) => o.status === 0).length;

    const primary = scratch.sql("primary");
    const rows = await primary<{ id: string; title: string; content: string; tags: string[] }[]>`
      select e.id, e.title, e.content, coalesce(array_agg(t.name order by t.name) filter (where t.name is not null), '{}') as tags
      from entries e left join entry_tags et on et.entry_id = e.id and et.user_id = e.user_id
        left join tags t on t.id = et.tag_id and t.user_id = e.user_id
      where e.user_id = ${u.userId} group by e.id`;
    // Every acknowledged create is there, and every entry there is whole: all its tags, all its text.
    const ids = new Set(rows.map((r) => r.id));
    expect(acknowledged.filter((id) => !ids.has(id))).toEqual([]);
    expect(rows.filter((r) => r.tags.join() !== TAGS.join() || r.content.length !== 2000)).toEqual([]);

    // No job for an entry that does not exist (a job is queued only after its entry commits).
    const jobs = await queuedJobs(scratch.env.REDIS_URL as string);
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs.filter((j) => j.userId !== u.userId || !ids.has(j.entryId))).toEqual([]);

    // Back up with workers: the queued jobs run, and the start-up sweep queues any entry whose
    // job was lost between its commit and the kill.
    const back = await startCore({ ...scratch.env, ...coreEnv(dataDir, { JOB_WORKERS: "on", ...queues }) });
    cores.push(back);
    const r = new Api(back.url, u.token);
    await until(
      "every committed entry to be embedded",
      async () => {
        const states = await Promise.all([...ids].map(async (id) => (await r.get(`/v1/entries/${id}/embedding`)).body.state));
        return states.every((s) => s === "current");
      },
      60_000,
      250,
    );
    console.log(
      `[kill drill] ${outcomes.length} creates sent, ${acknowledged.length} acknowledged, ${cutOff} cut off by the kill, ` +
        `${rows.length} in the database (all whole), ${jobs.length} jobs queued (none orphaned), all embedded after the restart`,
    );
  }, 120_000);
});
