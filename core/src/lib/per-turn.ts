import DataLoader from "dataloader";

/**
 * Calls made during one turn of the event loop, sent as one batch after its I/O: every request
 * that arrived in the turn joins. DataLoader without its cache, so each call is answered by a
 * batch sent after it was made (fresh, only batched). `send` answers the calls in their order; an
 * Error in its answer fails that call alone.
 */
export function batchedPerTurn<K, V>(send: (calls: readonly K[]) => Promise<(V | Error)[]>, maxBatchSize = 512): DataLoader<K, V> {
  return new DataLoader(send, { cache: false, batchScheduleFn: (run) => setImmediate(run), maxBatchSize });
}
