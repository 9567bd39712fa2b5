// `npm run embeddings:backfill -- [--all | --model-changed-only] [--user=<id>]`: queues entries for
// (re-)embedding and waits until the queue is empty, printing progress.
//   --model-changed-only (default): entries with no vectors, vectors of another model than
//     AI_EMBEDDING_MODEL, or edited since they were embedded.
//   --all: every live entry, re-embedded even when text and model are unchanged.
// Embedded default (no DATABASE_URL): stop the server first; one process owns the data directory.
import { parseArgs } from "node:util";
import { closeServices, createServices } from "../bootstrap";
import { loadEnv } from "../env";
import { enqueueStale } from "../services/embedding-sweep";
import { EMBEDDINGS_QUEUE } from "../services/embeddings";

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
if (values.user && !/^[0-9a-f-]{36}$/i.test(values.user)) {
  console.error("--user takes a user id (uuid)");
  process.exit(2);
}

const env = loadEnv();
const s = await createServices(env);
const model = s.ai.embeddingModel;
if (env.JOB_WORKERS === "off") console.log("JOB_WORKERS=off: this process only queues; the workers of running core pods embed");
const failedBefore = (await s.jobs.counts(EMBEDDINGS_QUEUE)).failed;
const queued = await enqueueStale(s, { all: values.all, force: values.all, userId: values.user, run: `backfill${Date.now()}` });
console.log(`queued ${queued} entries for embedding with ${model}${values.user ? ` (user ${values.user})` : ""}`);

let last = "";
for (;;) {
  const c = await s.jobs.counts(EMBEDDINGS_QUEUE);
  const left = c.waiting + c.active + c.delayed;
  const line = `${left} jobs left (${c.active} running, ${c.delayed} waiting to retry), ${c.failed - failedBefore} failed`;
  if (line !== last) console.log(line);
  last = line;
  if (left === 0) break;
  await Bun.sleep(1_000);
}
const failed = (await s.jobs.counts(EMBEDDINGS_QUEUE)).failed - failedBefore;
await closeServices(s);
console.log(failed > 0 ? `done; ${failed} jobs failed (see the log, and tcc_jobs_total{queue="embeddings",outcome="failed"})` : "done");
process.exit(failed > 0 ? 1 : 0);
