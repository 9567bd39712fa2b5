// `npm run embeddings:backfill -- [--model-changed-only | --all] [--user=<id>]`: queues entries for
// (re-)embedding and waits until they are embedded, printing progress.
//   --model-changed-only (default): entries with no vectors, vectors of another model than
//     AI_EMBEDDING_MODEL, or edited since they were embedded.
//   --all: every live entry, re-embedded even when text and model are unchanged.
// Embedded default (no DATABASE_URL): stop the server first; one process owns the data directory.

import { parseArgs } from "node:util";
import { rowsOf } from "@tcc/db";
import { sql } from "drizzle-orm";
import { closeServices, createServices } from "../bootstrap";
import { loadEnv } from "../env";
import { countUnembedded, enqueueStale } from "../search/embedding-sweep";
import { EMBEDDINGS_QUEUE } from "../search/embeddings";

const { values } = parseArgs({
  options: {
    all: { type: "boolean", default: false },
    "model-changed-only": { type: "boolean", default: false },
    user: { type: "string" },
  },
});
if (values.all && values["model-changed-only"]) {
  console.error("choose one of --all and --model-changed-only");
  process.exit(2);
}
if (values.user && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(values.user)) {
  console.error("--user takes a user id (a uuid)");
  process.exit(2);
}

const env = loadEnv();
const s = await createServices(env);
const userId = values.user;
if (env.JOB_WORKERS === "off") console.log("JOB_WORKERS=off: this process only queues; the workers of running core pods embed");
// The database's clock, as embedded_at is written by it.
const since = values.all ? rowsOf<{ now: string }>(await s.db.primary.execute(sql`select now()::text as now`))[0]?.now : undefined;
const queued = await enqueueStale({ ctx: { s }, input: { all: values.all, force: values.all, userId, run: `backfill${Date.now()}` } });
console.log(`queued ${queued} entries for embedding with ${s.ai.embeddingModel}${userId ? ` (user ${userId})` : ""}`);

// Done when every entry has fresh vectors. Other jobs in the shared queue (other users' edits,
// retries) do not hold this up; an empty queue with entries still pending means jobs failed.
let last = "";
let left = queued;
for (;;) {
  left = await countUnembedded({ ctx: { s }, input: { userId, since } });
  const c = await s.jobs.counts(EMBEDDINGS_QUEUE);
  const busy = c.waiting + c.active + c.delayed;
  const line = `${queued - Math.min(left, queued)}/${queued} embedded; queue: ${c.waiting} waiting, ${c.active} running, ${c.delayed} to retry`;
  if (line !== last) console.log(line);
  last = line;
  if (left === 0 || busy === 0) break;
  await Bun.sleep(500);
}
await closeServices(s);
if (left > 0) {
  console.log(
    `${left} entries are still without current vectors: their jobs failed (see the log and tcc_jobs_total{queue="embeddings",outcome="failed"})`,
  );
  process.exit(1);
}
console.log("done");
process.exit(0);
