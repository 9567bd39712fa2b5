import { expect, test } from "bun:test";
import postgres from "postgres";

// postgres.js 3.4.9 writes a queued chunk from setImmediate after closed() has set its socket to
// null, and the TypeError thrown there is uncaught: it took down core (and this test runner) when
// a primary died. patches/postgres+3.4.9.patch settles such writes with CONNECTION_CLOSED.
// Upstream: porsager/postgres#1066, #1208 (open at 3.4.9).
test("queries on a connection whose backend died reject with CONNECTION_CLOSED; the process lives on", async () => {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set: run through npm test or the services' env file");
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  process.on("uncaughtException", onUncaught);
  try {
    const reserved = await sql.reserve();
    const [row] = await reserved<{ pid: number }[]>`select pg_backend_pid() as pid`;
    await admin`select pg_terminate_backend(${row?.pid ?? 0})`;
    await Bun.sleep(100); // the close reaches the client: its socket is now null
    // A reserved connection cannot be rotated away, so these writes go to the dead one.
    const settled = await Promise.allSettled([reserved`select 1`, reserved`select 2`, reserved`select 3`]);
    await Bun.sleep(50); // any write still queued on setImmediate has run
    for (const outcome of settled) {
      expect(outcome.status).toBe("rejected");
      expect(String((outcome as PromiseRejectedResult).reason)).toMatch(/CONNECTION_CLOSED|ECONNRESET/);
    }
    expect(uncaught).toEqual([]);
    // Another pool on the same server is untouched by the dead backend.
    expect((await admin<{ n: number }[]>`select 42 as n`)[0]?.n).toBe(42);
  } finally {
    process.off("uncaughtException", onUncaught);
    await sql.end({ timeout: 1 });
    await admin.end({ timeout: 1 });
  }
}, 20_000);
