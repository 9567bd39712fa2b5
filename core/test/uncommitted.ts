import type { Drizzle } from "@tcc/db";
import type { SQL } from "drizzle-orm";

/**
 * Runs `statement` in a transaction of its own and holds it uncommitted while `meanwhile` starts
 * and reaches the rows it locks (300 ms), then commits it: for races with another transaction's
 * insert or delete of a row the code under test also touches. Returns what `meanwhile` gives.
 */
export async function whileUncommitted<T>(db: Drizzle, statement: SQL, meanwhile: () => Promise<T>): Promise<T> {
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let started = () => {};
  const ready = new Promise<void>((resolve) => {
    started = resolve;
  });
  const tx = db.transaction(async (tx) => {
    await tx.execute(statement);
    started();
    await held;
  });
  await Promise.race([ready, tx]); // a statement that fails ends the wait too, and throws below
  const running = meanwhile();
  running.catch(() => {}); // awaited by the caller; not an unhandled rejection while we wait
  await Bun.sleep(300);
  release();
  await tx;
  return running;
}
