// `bun scripts/bench/create-parts.ts 2>&1 >/dev/null` (test services' env loaded): core's CPU
// microseconds per call of each part of `POST /v1/entries`, measured with 64 calls in flight
// (wrk's 64 connections): this process's CPU, and PostgreSQL's (primary, replica, their
// backends) and Redis's over the same calls. For docs/benchmarks.md.
import { DisabledAiClient } from "../../core/src/ai/client";
import { createApp } from "../../core/src/app";
import type { Ctx } from "../../core/src/context";
import { wrote } from "../../core/src/db/wrote";
import { insertEntryWithTags } from "../../core/src/entries/entry-create";
import { enqueueEmbedding, textHash } from "../../core/src/search/embeddings";
import { servicePids } from "./cpu";
import { cpuPerCall, inProcessCore } from "./in-process";

const N = Number(process.env.PARTS_N ?? 5_000);
const C = Number(process.env.PARTS_C ?? 64);

const services = servicePids();

const { s, app, user, auth } = await inProcessCore("create-parts");
const body = JSON.stringify({ title: "bench entry", content: "A short log line about the bike.", tags: ["bench"] });
const ctx: Ctx = { s, userId: user.id };
const newEntry = { title: "bench entry", content: "A short log line about the bike.", topicId: null, tags: ["bench"], fileIds: [] };

const rows: string[] = [];
const measure = async (part: string, run: () => unknown) => {
  const us = await cpuPerCall(run, { n: N, inFlight: C, warmup: 300, services });
  rows.push(`| ${part} | ${us.core.toFixed(0)} | ${us.pg.toFixed(0)} | ${us.redis.toFixed(0)} |`);
};
await measure("whole POST /v1/entries (app.request, no socket)", async () =>
  (await app.request("/v1/entries", { method: "POST", headers: auth, body })).arrayBuffer(),
);
// The same app over services whose AI is off: its creates queue no embedding job.
const noAi = createApp({ ...s, ai: new DisabledAiClient() });
await measure("same, AI off: no embedding job queued", async () =>
  (await noAi.request("/v1/entries", { method: "POST", headers: auth, body })).arrayBuffer(),
);
await measure("entry + tags statement (insertEntryWithTags)", () => insertEntryWithTags({ ctx, input: newEntry }));
await measure("write mark: cache version bump + recent-write key (wrote)", () => wrote(ctx));
let n = 0;
await measure("embedding job enqueue (BullMQ, batched per tick)", () =>
  enqueueEmbedding({ ctx, input: { job: { userId: user.id, entryId: `parts-${n++}` }, version: textHash("a", "b"), waitMs: 60_000 } }),
);
await s.jobs.removeWhere((data) => (data as { userId?: string }).userId === user.id);
console.error(["| part | core µs | PostgreSQL µs | Redis µs |", "| --- | --- | --- | --- |", ...rows].join("\n"));
process.exit(0);
