import { afterAll, describe, expect, test } from "bun:test";
import { serviceEnv } from "../../test/harness";
import { createLogger } from "../lib/logger";
import { createMetrics } from "../lib/metrics";
import { connectJobRedis } from "../lib/redis-kv";
import { BullMqJobQueue, type JobQueue, MemoryJobQueue } from ".";

const logger = createLogger("silent");
const connections: { quit(): Promise<unknown> }[] = [];

let prefix = "";
/** `samePrefix`: a second process's queue over the same Redis keys as the last one made. */
function bullmq(samePrefix = false): JobQueue {
  if (!samePrefix) prefix = `tcc:test-jobs:${process.pid}:${Date.now()}:${Math.random()}`;
  const url = serviceEnv().REDIS_URL as string;
  return new BullMqJobQueue(
    () => {
      const c = connectJobRedis(url);
      connections.push(c);
      return c;
    },
    logger,
    createMetrics({ defaultMetrics: false }),
    prefix,
  );
}

afterAll(async () => {
  await Promise.allSettled(connections.map((c) => c.quit()));
});

for (const [kind, make] of [
  ["memory", (_samePrefix?: boolean) => new MemoryJobQueue(logger, createMetrics({ defaultMetrics: false }))],
  ["bullmq", bullmq],
] as const) {
  describe(`${kind} job queue`, () => {
    test("runs jobs, retries a failing one with backoff, and drains", async () => {
      const q = make();
      const seen: string[] = [];
      const attempts = new Map<string, number>();
      q.handle<{ n: number }>(
        "work",
        async (data, job) => {
          attempts.set(String(data.n), job.attempt);
          if (data.n === 2 && job.attempt < 3) throw new Error("transient");
          seen.push(String(data.n));
        },
        { attempts: 5, backoffMs: 20, concurrency: 2 },
      );
      await q.start();
      for (const n of [1, 2, 3]) await q.enqueue("work", { n });
      await q.drain("work", 10_000);
      expect(seen.sort()).toEqual(["1", "2", "3"]);
      expect(attempts.get("2")).toBe(3);
      expect((await q.counts("work")).failed).toBe(0);
      await q.close();
    });

    test("a job that always fails ends as failed after its attempts", async () => {
      const q = make();
      let runs = 0;
      q.handle(
        "doomed",
        async () => {
          runs++;
          throw new Error("permanent");
        },
        { attempts: 2, backoffMs: 10 },
      );
      await q.start();
      await q.enqueue("doomed", {});
      const deadline = Date.now() + 10_000;
      while ((await q.counts("doomed")).failed < 1 && Date.now() < deadline) await Bun.sleep(20);
      expect(runs).toBe(2);
      expect((await q.counts("doomed")).failed).toBe(1);
      await q.close();
    });

    test("a repeated job runs every interval, once per run across queues sharing the schedule, until removed", async () => {
      const queues = kind === "bullmq" ? [make(), make(true)] : [make()];
      const runs: string[] = [];
      for (const q of queues) {
        q.handle<{ tick: string }>("repeated", async (data, job) => {
          expect(data).toEqual({ tick: "sweep" });
          runs.push(job.id);
        });
        await q.start();
        await q.repeat("repeated", { id: "tick", everyMs: 100, data: { tick: "sweep" } });
      }
      const deadline = Date.now() + 10_000;
      while (runs.length < 3 && Date.now() < deadline) await Bun.sleep(20);
      expect(runs.length).toBeGreaterThanOrEqual(3);
      for (const q of queues) await q.repeat("repeated", { id: "tick", everyMs: 0, data: { tick: "sweep" } });
      for (const q of queues) await q.drain("repeated", 10_000);
      const after = runs.length;
      await Bun.sleep(400);
      expect(runs.length).toBe(after);
      if (kind === "bullmq") expect(new Set(runs).size).toBe(runs.length); // no run was taken by both queues
      for (const q of queues) await q.close();
    });

    test("the same jobId waiting twice is added once", async () => {
      const q = make();
      let runs = 0;
      q.handle("dedupe", async () => {
        runs++;
      });
      await q.enqueue("dedupe", {}, { jobId: "entry:1" });
      await q.enqueue("dedupe", {}, { jobId: "entry:1" });
      expect((await q.counts("dedupe")).waiting).toBe(1);
      await q.start();
      await q.drain("dedupe", 10_000);
      expect(runs).toBe(1);
      await q.close();
    });
  });
}

describe("bullmq job queue, coalescing", () => {
  test("jobs added in the same tick go through the kind's coalesce hook; those added later do not", async () => {
    const q = bullmq();
    const seen: number[][] = [];
    const batches: number[] = [];
    q.handle<{ ns: number[] }>(
      "sum",
      async (data) => {
        seen.push(data.ns);
      },
      {
        coalesce: (jobs) => {
          batches.push(jobs.length);
          return [{ data: { ns: jobs.flatMap((j) => (j.data as { ns: number[] }).ns) }, opts: {} }];
        },
      },
    );
    await Promise.all([1, 2, 3].map((n) => q.enqueue("sum", { ns: [n] })));
    await q.enqueue("sum", { ns: [4] });
    expect((await q.counts("sum")).waiting).toBe(2);
    await q.start();
    await q.drain("sum", 10_000);
    // The hook sees only batches of two or more; the lone job went as it was.
    expect(batches).toEqual([3]);
    expect(seen.map((ns) => ns.join(",")).sort()).toEqual(["1,2,3", "4"]);
    await q.close();
  });
});
