// `npm run images:backfill`: queues the image job for every image that has no derivatives yet
// (stored before derivatives existed, or whose job was lost). Workers (core with JOB_WORKERS=on)
// do the work; this only enqueues.
import { closeServices, createServices } from "../bootstrap";
import { loadEnv } from "../env";
import { requeuePendingImages } from "../files/images/sweep";

const env = loadEnv();
if (!env.REDIS_URL) {
  console.log("embedded default: the server queues pending images itself at start-up; nothing to do");
  process.exit(0);
}
const services = await createServices({ ...env, JOB_WORKERS: "off" });
try {
  const queued = await requeuePendingImages({ ctx: { s: services } });
  console.log(`queued ${queued} image${queued === 1 ? "" : "s"} for derivatives`);
} finally {
  await closeServices(services);
}
// The queue's Redis connections are the caller's to end (BullMQ leaves them open), and this process is done.
process.exit(0);
