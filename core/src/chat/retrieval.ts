import type { ContextEntry } from "@tcc/shared/contracts";
import type { Call } from "../context";
import { hybridWithChunks } from "../search/search";
import { CONTEXT_TEXT_CHARS, toContextEntry } from "./context-entries";

/**
 * Retrieval for chat: the caller's live entries most relevant to a question, hybrid (keyword and
 * meaning, fused) when the AI gateway answers, keyword alone when it does not. Never another
 * user's. A question is not a search expression: for the keyword side its words are OR-ed, so
 * an entry need not contain every word of "how many runs did I log in March?"; the vector side
 * embeds the question as asked. A long entry is represented by the chunk that matched.
 */
export async function searchEntriesForChat({
  ctx,
  input: { query, limit },
}: Call<{ query: string; limit: number }>): Promise<ContextEntry[]> {
  const words = query.match(/[\p{L}\p{N}]+/gu)?.slice(0, 32) ?? [];
  if (words.length === 0 || limit <= 0) return [];
  const { page, chunks } = await hybridWithChunks({
    ctx,
    input: { query: { q: words.join(" OR "), mode: "hybrid", limit: Math.min(limit, 100) }, vectorText: query.trim().slice(0, 2_000) },
  });
  return page.items.map(({ entry }) => {
    const chunk = chunks.get(entry.id);
    if (entry.content.length > CONTEXT_TEXT_CHARS && chunk) return { ...toContextEntry(entry), text: `…${chunk}…` };
    return toContextEntry(entry);
  });
}
