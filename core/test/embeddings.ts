import { rowsOf } from "@tcc/db";
import { sql } from "drizzle-orm";
import type { Services } from "../src/context";
import { textHash } from "../src/search/embeddings";

export interface StoredChunk {
  chunkIndex: number;
  chunkText: string;
  model: string;
  embedding: string;
}

/** The vectors stored for an entry, in chunk order, read from the primary. */
export async function storedChunks(s: Services, entryId: string): Promise<StoredChunk[]> {
  return rowsOf<StoredChunk>(
    await s.db.primary.execute(sql`select chunk_index as "chunkIndex", chunk_text as "chunkText", model, embedding::text as embedding
      from document_embeddings where entry_id = ${entryId} order by chunk_index`),
  );
}

export async function statusOf(s: Services, entryId: string) {
  const [row] = rowsOf<{ model: string; contentHash: string; chunks: number; embeddedAt: string }>(
    await s.db.primary.execute(
      sql`select model, content_hash as "contentHash", chunks, embedded_at::text as "embeddedAt" from embedding_status where entry_id = ${entryId}`,
    ),
  );
  return row;
}

/**
 * Waits until the entry's vectors were made from this title and content (by whichever worker).
 * Polls the entry's own status rather than draining the shared queue, which may hold other
 * test files' jobs waiting out a retry backoff.
 */
export async function waitEmbedded(s: Services, entry: { id: string; title: string; content: string }, model?: string, timeoutMs = 15_000) {
  const want = textHash(entry.title, entry.content);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await statusOf(s, entry.id);
    if (st?.contentHash === want && (!model || st.model === model)) return st;
    if (Date.now() > deadline) throw new Error(`entry ${entry.id} was not embedded within ${timeoutMs} ms (status ${JSON.stringify(st)})`);
    await Bun.sleep(20);
  }
}
